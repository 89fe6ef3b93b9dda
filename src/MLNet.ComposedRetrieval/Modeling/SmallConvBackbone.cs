using MLNet.ComposedRetrieval.Modeling.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// A small, randomly initialised convolutional backbone for tests and the synthetic demo: three stages of
/// 3×3 convolution (stride 2) + BatchNorm + ReLU (16, 32, then <see cref="OutputChannels"/> channels), then an
/// adaptive average pool to a <c>gridSize</c> × <c>gridSize</c> map. From 32×32 RGB it gives [B, 64, 4, 4].
/// Input: RGB scaled to [0, 1], then (x − 0.5) / 0.5 (see <see cref="Preprocessing"/>).
/// </summary>
internal sealed class SmallConvBackbone : ImageBackbone
{
    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d pool;
    private readonly int outputChannels;
    private readonly ImagePreprocessing preprocessing;
    private readonly int gridSize;

    /// <param name="inputSize">Width and height of the input images; a multiple of 8, at least 8 × <paramref name="gridSize"/>.</param>
    /// <param name="outputChannels">C, channels of the output map.</param>
    /// <param name="gridSize">Height and width of the output map.</param>
    public SmallConvBackbone(int inputSize = 32, int outputChannels = 64, int gridSize = 4) : base(nameof(SmallConvBackbone))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputChannels, 1);
        if (inputSize % 8 != 0 || inputSize / 8 < gridSize)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize,
                $"The small backbone halves its input three times; the input size must be a multiple of 8 and at least {8 * gridSize}.");

        this.outputChannels = outputChannels;
        this.gridSize = gridSize;
        preprocessing = new ImagePreprocessing(inputSize, inputSize, Bgr: false, Scale: 1f / 255f,
            Mean: [0.5f, 0.5f, 0.5f], Std: [0.5f, 0.5f, 0.5f]);
        features = nn.Sequential(
            Stage(1, 3, 16), Stage(2, 16, 32), Stage(3, 32, outputChannels));
        pool = nn.AdaptiveAvgPool2d(gridSize);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int OutputChannels => outputChannels;

    /// <inheritdoc/>
    public override ImagePreprocessing Preprocessing => preprocessing;

    /// <summary>Images [B, 3, S, S] to the map [B, C, grid, grid].</summary>
    public override Tensor forward(Tensor images)
    {
        TensorShape.RequireRank(images, 4, "Small backbone input", $"images [B, 3, {preprocessing.Height}, {preprocessing.Width}]");
        TensorShape.RequireSize(images, 1, 3, "Small backbone input", $"images [B, 3, {preprocessing.Height}, {preprocessing.Width}]");
        using var scope = NewDisposeScope();
        return pool.forward(features.forward(images)).MoveToOuterDisposeScope();
    }

    /// <summary>A copy of this backbone run as trained, in evaluation mode (it has no folded form).</summary>
    public override InferenceImageEncoder ToInference() =>
        new EvaluationModeImageEncoder(InferenceCopy.Of(this, () => new SmallConvBackbone(preprocessing.Width, outputChannels, gridSize)));

    private static (string, nn.Module<Tensor, Tensor>) Stage(int index, int inChannels, int outChannels) =>
        ($"stage{index}", nn.Sequential(
            ("conv", nn.Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1, bias: false)),
            ("bn", nn.BatchNorm2d(outChannels)),
            ("relu", nn.ReLU())));
}
