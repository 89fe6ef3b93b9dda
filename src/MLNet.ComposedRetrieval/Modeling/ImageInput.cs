using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A batch of images as the network receives it: either preprocessed pixels [B, 3, H, W] that still go through the
/// backbone, or backbone maps [B, C, h, w] computed earlier (the frozen-backbone feature cache).
/// </summary>
internal sealed record ImageInput(Tensor Values, bool IsBackboneMap) : IDisposable
{
    public static ImageInput Pixels(Tensor pixels) => new(pixels, IsBackboneMap: false);

    public static ImageInput Maps(Tensor maps) => new(maps, IsBackboneMap: true);

    public long Count => Values.shape[0];

    public ImageInput To(Device device) => this with { Values = Values.to(device) };

    public void Dispose() => Values.Dispose();
}
