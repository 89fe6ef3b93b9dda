using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// An inference-only copy of the query path after the encoders: text projection, CoSMo compositor and image head, the
/// same function as <see cref="ComposedRetrievalNetwork.ComposeFromFeatures"/> in evaluation mode up to float rounding
/// (docs/method.md "Network"), rearranged to do about half the work at batch 1:
/// <list type="bullet">
/// <item>every quantity that depends on the text only (both blocks' text-to-image vectors Wt t and value terms, the style
/// gates and affine style) is linear in the raw sentence feature, since the projection's batch norm runs on its running
/// statistics: one matrix product, with the batch norm, the projection, merge's text half and the equalised-learning-rate
/// scale folded into its weight;</item>
/// <item>in each block the value convolution is composed with the image half of merge (both bias-free 1×1 convolutions),
/// and the first block's query, key and value are one matrix product; the residual weights w0, w1 are folded into the
/// output convolutions;</item>
/// <item>the head only needs the spatial mean of the composed map, and the style modulation is an affine map per channel,
/// so the second block is computed as its spatial mean: the mean over queries of V Aᵀ is V times the mean attention row,
/// which turns its value and output convolutions from H·W columns into one;</item>
/// <item>the instance norm and the style statistics share one mean and one (biased) variance of the map.</item>
/// </list>
/// </summary>
/// <remarks>
/// A snapshot, like <see cref="FoldedResNet"/>: it holds its own weights (folded in float64, then rounded once to the
/// source's type, on the source's device) taken when it was made by <see cref="ComposedRetrievalNetwork.ToInference"/>,
/// so training the network afterwards does not change it, and nothing in training runs through it. It cannot be put in
/// training mode.
/// </remarks>
internal sealed class FoldedComposer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly int channels;
    private readonly int heads;
    private readonly double attentionScale;
    private readonly double normScale;

    // Text terms, [sentence width, 8C], transposed for addmm: value1, key1, value2, key2 (C each), gates, style (2C each).
    private readonly Tensor textWeight;
    private readonly Tensor textBias;
    // First block: [query; key; value] [3C, C]; output (× w0) [C, C] and its bias [C, 1].
    private readonly Tensor firstProjections;
    private readonly Tensor firstOutput;
    private readonly Tensor firstOutputBias;
    // Second block: [query; key] [2C, C]; value per head [heads, C/heads, C]; output (× w1), transposed [C, C]; bias [C].
    private readonly Tensor secondQueryKey;
    private readonly Tensor secondValue;
    private readonly Tensor secondOutput;
    private readonly Tensor secondOutputBias;
    // Head: Linear(C -> D), transposed [C, D]; bias [D].
    private readonly Tensor headWeight;
    private readonly Tensor headBias;

    /// <summary>Folds the three modules' current weights (read in evaluation-mode semantics, whatever their mode).</summary>
    public FoldedComposer(TextProjection projection, ContentStyleCompositor compositor, ImageEmbeddingHead head)
        : base(nameof(FoldedComposer))
    {
        ArgumentNullException.ThrowIfNull(projection);
        ArgumentNullException.ThrowIfNull(compositor);
        ArgumentNullException.ThrowIfNull(head);
        if (projection.OutDimension != compositor.TextDimension)
            throw new ArgumentException(
                $"The text projection gives {projection.OutDimension}-d features but the compositor takes {compositor.TextDimension}.", nameof(projection));

        channels = compositor.Channels;
        heads = compositor.Heads;
        attentionScale = 1.0 / Math.Sqrt(channels / heads);
        normScale = head.NormScale;
        SentenceDimension = projection.InDimension;

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var source = head.Projection.weight!;
        // copy: a float64 network's own tensors (the head's bias) must not be shared with the snapshot.
        Tensor Snapshot(Tensor folded) => folded.to(source.dtype, source.device, copy: true).contiguous().MoveToOuterDisposeScope();

        var (first, second) = (compositor.Attention1.FoldedWeights(), compositor.Attention2.FoldedWeights());
        var residual = compositor.ResidualWeights.to(ScalarType.Float64);
        var (w0, w1) = (residual[0], residual[1]);
        var (gate, transform) = (compositor.Style.Gate, compositor.Style.Transform);

        // Each text term is T t + c with t = P s + p, so it is (T P) s + (T p + c).
        var (projectionWeight, projectionBias) = projection.EvaluationAffine();
        var textTerms = cat([first.TextValue, first.TextWeight, second.TextValue, second.TextWeight, gate.ScaledWeight(), transform.ScaledWeight()], 0);
        var noOffset = zeros(channels, ScalarType.Float64, device: source.device);
        var textOffsets = cat([noOffset, first.TextBias, noOffset, second.TextBias,
            gate.Bias.to(ScalarType.Float64), transform.Bias.to(ScalarType.Float64)], 0);
        textWeight = Snapshot(textTerms.matmul(projectionWeight).t());
        textBias = Snapshot(textTerms.matmul(projectionBias).add(textOffsets));

        firstProjections = Snapshot(cat([first.Query, first.Key, first.ImageValue], 0));
        firstOutput = Snapshot(first.Output.mul(w0));
        firstOutputBias = Snapshot(first.OutputBias.mul(w0).unsqueeze(1));

        secondQueryKey = Snapshot(cat([second.Query, second.Key], 0));
        secondValue = Snapshot(second.ImageValue.view(heads, channels / heads, channels));
        secondOutput = Snapshot(second.Output.mul(w1).t());
        secondOutputBias = Snapshot(second.OutputBias.mul(w1));

        headWeight = Snapshot(head.Projection.weight!.to(ScalarType.Float64).t());
        headBias = Snapshot(head.Projection.bias!.to(ScalarType.Float64));
        RegisterComponents();
        eval();
    }

    /// <summary>Width of the raw sentence feature this composer takes.</summary>
    public int SentenceDimension { get; }

    /// <summary>Reference maps [B, C, h, w] and raw sentence features [B, sentence width] to query features f_s [B, D],
    /// as <see cref="ComposedRetrievalNetwork.ComposeFromFeatures"/> in evaluation mode.</summary>
    public override Tensor forward(Tensor maps, Tensor sentences)
    {
        ContentStyleCompositor.RequireMapsAndTexts(maps, channels, "Reference maps", sentences, SentenceDimension, "Sentence features");

        using var scope = NewDisposeScope();
        var batch = maps.shape[0];
        var text = addmm(textBias, sentences, textWeight, 1, 1).split([channels, channels, channels, channels, 2 * channels, 2 * channels], 1);
        var (firstValue, firstKey, secondValue, secondKey, gates, style) = (text[0], text[1], text[2], text[3], text[4].sigmoid(), text[5]);

        // x as [B, C, H·W]; n = InstanceNorm2d(x); μ_x and the biased σ_x for the style module.
        var x = maps.reshape(batch, channels, -1);
        var mean = x.mean([2], keepdim: true);
        var centered = x.sub(mean);
        var variance = centered.square().mean([2], keepdim: true);
        var normalized = centered.mul_(variance.add(ContentStyleCompositor.InstanceNormEpsilon).rsqrt_());

        var content1 = FirstBlock(normalized, firstValue, firstKey);
        var meanContent2 = content1.mean([2]).add_(MeanOfSecondBlock(content1, secondValue, secondKey));

        // Style module on the spatial mean: (g_σ σ_x + γ_t) · mean(o2) + (g_μ μ_x + β_t).
        var (stdGate, meanGate) = (gates.narrow(1, 0, channels), gates.narrow(1, channels, channels));
        var (gamma, beta) = (style.narrow(1, 0, channels), style.narrow(1, channels, channels));
        var pooled = stdGate.mul(variance.sqrt().view(batch, channels)).add_(gamma).mul_(meanContent2)
            .add_(meanGate.mul(mean.view(batch, channels)).add_(beta));

        var embedding = nn.functional.normalize(addmm(headBias, pooled, headWeight, 1, 1), p: 2, dim: 1);
        return embedding.mul_(normScale).MoveToOuterDisposeScope();
    }

    /// <summary>o1 = n + w0 · A1(n, t), [B, C, H·W], from n [B, C, H·W] and the first block's text terms.</summary>
    private Tensor FirstBlock(Tensor normalized, Tensor textValue, Tensor textKey)
    {
        var (batch, positions) = (normalized.shape[0], normalized.shape[2]);
        var projected = firstProjections.matmul(normalized);                                   // [B, 3C, H·W]
        var queries = SplitHeads(projected.narrow(1, 0, channels));
        var keys = SplitHeads(projected.narrow(1, channels, channels));
        var values = SplitHeads(projected.narrow(1, 2 * channels, channels).add(textValue.unsqueeze(2)));
        var attention = queries.transpose(2, 3).matmul(keys).mul_(attentionScale).softmax(-1)
            .add_(TextToImageAttention(normalized, textKey).unsqueeze(2));                     // S + G: [B, heads, queries, keys]
        var attended = values.matmul(attention.transpose(2, 3)).view(batch, channels, positions);
        return firstOutput.matmul(attended).add_(firstOutputBias).add_(normalized);
    }

    /// <summary>
    /// w1 · the spatial mean of A2(o1, t), [B, C]. The mean over queries of V Aᵀ is V āᵀ with ā the mean attention row;
    /// V = Wv' o1 + v_t, so head h gives Wv'_h (o1 ā_hᵀ) + v_t,h Σ ā_h.
    /// </summary>
    private Tensor MeanOfSecondBlock(Tensor content1, Tensor textValue, Tensor textKey)
    {
        var batch = content1.shape[0];
        var projected = secondQueryKey.matmul(content1);                                        // [B, 2C, H·W]
        var queries = SplitHeads(projected.narrow(1, 0, channels));
        var keys = SplitHeads(projected.narrow(1, channels, channels));
        var meanRow = queries.transpose(2, 3).matmul(keys).mul_(attentionScale).softmax(-1).mean([2])
            .add_(TextToImageAttention(content1, textKey));                                    // ā: [B, heads, keys]
        var weighted = content1.matmul(meanRow.transpose(1, 2));                                // o1 ā_hᵀ: [B, C, heads]
        var values = secondValue.matmul(weighted.transpose(1, 2).unsqueeze(3)).view(batch, heads, -1)
            .add_(textValue.view(batch, heads, -1).mul(meanRow.sum(2, keepdim: true)));
        return addmm(secondOutputBias, values.view(batch, channels), secondOutput, 1, 1);
    }

    /// <summary>G = softmax over positions of x_head · (Wt t)_head / sqrt(C / heads): [B, heads, H·W].</summary>
    private Tensor TextToImageAttention(Tensor map, Tensor textKey)
    {
        var batch = map.shape[0];
        var scores = SplitHeads(map).transpose(2, 3).matmul(textKey.view(batch, heads, -1, 1));   // [B, heads, H·W, 1]
        return scores.mul_(attentionScale).softmax(2).view(batch, heads, -1);
    }

    /// <summary>[B, C, H·W] to [B, heads, C / heads, H·W], as <see cref="CompositorAttention"/> splits them.</summary>
    private Tensor SplitHeads(Tensor map) => map.view(map.shape[0], heads, -1, map.shape[2]);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">When asked for training mode: the weights are a folded snapshot.</exception>
    public override void train(bool train = true)
    {
        if (train)
            throw new InvalidOperationException(
                "A FoldedComposer is for inference only (a folded snapshot of the weights); train the ComposedRetrievalNetwork it was made from.");
        base.train(false);
    }
}
