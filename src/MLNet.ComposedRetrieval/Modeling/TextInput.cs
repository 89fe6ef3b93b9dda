using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A batch of modification texts as the network receives it: token ids and attention mask [B, L] for the text
/// encoder, or sentence features [B, F] computed earlier by a frozen encoder.
/// </summary>
internal sealed record TextInput(Tensor? TokenIds, Tensor? AttentionMask, Tensor? Features) : IDisposable
{
    public static TextInput Tokens(Tensor ids, Tensor mask) => new(ids, mask, null);

    public static TextInput Encoded(Tensor features) => new(null, null, features);

    public long Count => (Features ?? TokenIds)!.shape[0];

    public TextInput To(Device device) =>
        new(TokenIds?.to(device), AttentionMask?.to(device), Features?.to(device));

    public void Dispose()
    {
        TokenIds?.Dispose();
        AttentionMask?.Dispose();
        Features?.Dispose();
    }
}
