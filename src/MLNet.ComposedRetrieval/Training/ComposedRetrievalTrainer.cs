using System.Diagnostics;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>
/// Trains a <see cref="ComposedRetrievalNetwork"/> on triplets (METHOD.md "Training"): seeded shuffled (optionally
/// sampled) epochs of drop-last batches, the combined loss of Eq. 3 with the gamma schedule, SGD over parameter
/// groups with warm-up and step decay, validation Recall@K after each epoch, the best epoch's weights kept, an
/// atomic checkpoint per epoch to resume from, progress and log messages, and cancellation between steps.
/// </summary>
internal sealed class ComposedRetrievalTrainer
{
    private readonly ComposedRetrievalNetwork _network;
    private readonly TrainerOptions _options;
    private readonly Device _device;

    public ComposedRetrievalTrainer(ComposedRetrievalNetwork network, TrainerOptions options, Device? device = null)
    {
        options.Validate();
        _network = network;
        _options = options;
        _device = device ?? CPU;
    }

    /// <summary>Per-step progress (stage "epoch e/E", steps done of the epoch, running loss).</summary>
    public IProgress<WorkProgress>? Progress { get; init; }

    /// <summary>One line per epoch and per notable event, as ML.NET's channel messages.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Where to write a checkpoint after every epoch and resume from; null for none.</summary>
    public TrainingCheckpoint? Checkpoint { get; init; }

    /// <summary>Validation after each epoch; without it the last epoch is kept.</summary>
    public RetrievalEvaluator? Validation { get; init; }

    /// <summary>
    /// Runs the remaining epochs (all of them, or those after the checkpoint's) and leaves the network holding the
    /// weights of the epoch with the best validation Recall@<see cref="TrainerOptions.SelectionK"/>.
    /// </summary>
    public TrainingResult Fit(IReadOnlyList<CompositionTriplet> triplets, ICompositionInputs inputs, CancellationToken cancellationToken = default)
    {
        int stepsPerEpoch = Math.Min(triplets.Count, _options.TripletsPerEpoch ?? triplets.Count) / _options.BatchSize;
        if (stepsPerEpoch == 0)
            throw new ArgumentException($"{triplets.Count} triplets make no full batch of {_options.BatchSize}.", nameof(triplets));

        _network.to(_device);
        using var learnedSigma = _options.Loss is { UseUncertainty: true, LearnSigma: true } ? new LearnedSigma(_device) : null;
        using var optimizer = new GroupedSgd(ParameterGroups(learnedSigma), _options.LearningRate, _options.Momentum, _options.WeightDecay);
        var schedule = new LearningRateSchedule(_options.LearningRate, _options.ResolvedDecayEpochs,
            Math.Min(_options.WarmupEpochs, _options.Epochs));
        var history = new List<EpochRecord>();
        int bestEpoch = -1;
        double bestRecall = double.NegativeInfinity;
        Dictionary<string, Tensor>? bestWeights = null;

        if (Checkpoint is { Exists: true })
        {
            var state = Checkpoint.Load(_network, optimizer);
            if (learnedSigma is not null)
                learnedSigma.Set(state.LearnedSigma ?? throw new InvalidDataException($"Checkpoint '{Checkpoint.Folder}' has no learned s."));
            if (state.OptionsFingerprint != Fingerprint())
                throw new InvalidOperationException($"Checkpoint '{Checkpoint.Folder}' was written with other training settings; delete it or use another folder.");
            history.AddRange(state.History);
            (bestEpoch, bestRecall) = (state.BestEpoch, state.BestRecall);
            Log?.Invoke($"Resuming after epoch {state.CompletedEpochs} from {Checkpoint.Folder}.");
        }

        for (int epoch = history.Count; epoch < _options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = RunEpoch(epoch, stepsPerEpoch, triplets, inputs, optimizer, schedule, learnedSigma, cancellationToken);
            history.Add(record);

            double selection = record.ValidationRecall.TryGetValue(_options.SelectionK, out var r) ? r : epoch;
            bool isBest = selection > bestRecall;
            if (isBest)
            {
                (bestEpoch, bestRecall) = (epoch, selection);
                if (Checkpoint is null) bestWeights = CloneWeights();
            }
            Checkpoint?.Save(new CheckpointState(epoch + 1, Fingerprint(), history, bestEpoch, bestRecall, learnedSigma?.Value), _network, optimizer);
            Log?.Invoke(Describe(record) + (isBest && Validation is not null ? " (best so far)" : ""));
        }

        RestoreBest(bestWeights);
        return new TrainingResult(history, bestEpoch);
    }

    private EpochRecord RunEpoch(int epoch, int steps, IReadOnlyList<CompositionTriplet> triplets, ICompositionInputs inputs,
        GroupedSgd optimizer, LearningRateSchedule schedule, LearnedSigma? learnedSigma, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // Everything random in an epoch derives from (seed, epoch), so a resumed run repeats it exactly.
        int epochSeed = SeedMix.Derive(_options.Seed, epoch);
        manual_seed(epochSeed);
        var order = SampleOrder(triplets.Count, new Random(epochSeed));
        using var noise = new TorchNoiseSource((ulong)epochSeed);
        var loss = new ComposedRetrievalLoss(_options.Loss, noise, learnedSigma?.Parameter);

        _network.train();
        double sumLoss = 0, sumInfo = 0, sumUncertainty = 0, sumSigma = 0, lr = 0, gamma = 0;
        for (int step = 0; step < steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lr = schedule.At(epoch, step, steps);
            optimizer.ApplyLearningRate(lr);
            using var scope = NewDisposeScope();
            var batch = order.Skip(step * _options.BatchSize).Take(_options.BatchSize).Select(i => triplets[i]).ToList();
            using var references = inputs.Images(batch.Select(t => t.ReferenceImageId).ToList(), augment: true).To(_device);
            using var targets = inputs.Images(batch.Select(t => t.TargetImageId).ToList(), augment: true).To(_device);
            using var texts = inputs.Texts(batch.Select(t => t.ModificationText).ToList()).To(_device);

            var query = _network.ComposeQueries(references, texts);
            var target = _network.EmbedTargets(targets);
            using var result = loss.Compute(query, target, epoch, _options.Epochs);
            optimizer.ZeroGrad();
            result.Total.backward();
            optimizer.Step();

            double total = result.Total.item<float>();
            if (!double.IsFinite(total))
                throw new InvalidOperationException($"The loss became {total} at epoch {epoch}, step {step} (learning rate {lr:G3}); lower the learning rate.");
            sumLoss += total;
            sumInfo += result.InfoNce.item<float>();
            if (result.Uncertainty is not null) sumUncertainty += result.Uncertainty.item<float>();
            if (result.Sigma is not null) sumSigma += result.Sigma.item<float>();
            gamma = result.Gamma;
            Progress?.Report(new WorkProgress($"epoch {epoch + 1}/{_options.Epochs}", step + 1, steps, clock.Elapsed,
                $"loss {sumLoss / (step + 1):F4}"));
        }

        var recall = Validation?.Evaluate(_network, inputs, _device);
        var byK = recall is null ? new Dictionary<int, double>() : recall.Ks.Zip(recall.Recalls).ToDictionary(p => p.First, p => p.Second / 100.0);
        bool uncertain = _options.Loss.UseUncertainty;
        return new EpochRecord(epoch, steps, sumLoss / steps, sumInfo / steps,
            uncertain ? sumUncertainty / steps : null, uncertain ? sumSigma / steps : null,
            gamma, lr, byK, clock.Elapsed);
    }

    /// <summary>A fresh permutation each epoch, cut to TripletsPerEpoch when sampling.</summary>
    private List<int> SampleOrder(int count, Random random)
    {
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        return order.Take(Math.Min(count, _options.TripletsPerEpoch ?? count)).ToList();
    }

    /// <summary>Text encoder and backbone train at their own lr multipliers; frozen parts are left out; a learned s trains at lr.</summary>
    private List<ParameterGroup> ParameterGroups(LearnedSigma? learnedSigma)
    {
        var groups = new Dictionary<string, (List<TorchSharp.Modules.Parameter> Parameters, double Multiplier)>
        {
            ["text_encoder"] = ([], _options.TextEncoderLearningRateMultiplier),
            ["image_backbone"] = ([], _options.ImageBackboneLearningRateMultiplier),
            ["composition"] = ([], 1.0),
        };
        foreach (var (name, parameter) in _network.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            var group = name.StartsWith("text_encoder.", StringComparison.Ordinal) ? "text_encoder"
                : name.StartsWith("image_backbone.", StringComparison.Ordinal) ? "image_backbone" : "composition";
            groups[group].Parameters.Add(parameter);
        }
        if (learnedSigma is not null) groups["uncertainty_s"] = ([learnedSigma.Parameter], 1.0);
        return groups.Where(g => g.Value.Parameters.Count > 0)
            .Select(g => new ParameterGroup(g.Key, g.Value.Parameters, g.Value.Multiplier)).ToList();
    }

    private Dictionary<string, Tensor> CloneWeights() =>
        _network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private void RestoreBest(Dictionary<string, Tensor>? bestWeights)
    {
        if (bestWeights is not null)
        {
            _network.load_state_dict(bestWeights);
            foreach (var weight in bestWeights.Values) weight.Dispose();
        }
        else if (Checkpoint?.BestNetworkPath is { } bestNetwork)
        {
            _network.load(bestNetwork);
        }
    }

    /// <summary>Settings that must match for a checkpoint to be resumed.</summary>
    private string Fingerprint() => $"{_options}|decay={string.Join(",", _options.ResolvedDecayEpochs)}";

    private static string Describe(EpochRecord r)
    {
        var recall = string.Join(" ", r.ValidationRecall.Select(p => $"R@{p.Key} {100 * p.Value:F2}"));
        var uncertainty = r.UncertaintyLoss is null ? "" : $", L_u {r.UncertaintyLoss:F4}, s {r.Sigma:F4}";
        return $"epoch {r.Epoch + 1}: loss {r.Loss:F4} (InfoNCE {r.InfoNceLoss:F4}{uncertainty}, gamma {r.Gamma:F3}), lr {r.LearningRate:G3}, {r.Duration.TotalSeconds:F0} s" +
               (recall.Length > 0 ? $"; val {recall}" : "");
    }
}

/// <summary>The epochs run and which one's weights the network now holds.</summary>
/// <param name="History">One record per epoch, in order.</param>
/// <param name="BestEpoch">The epoch (from 0) with the best validation recall, whose weights were kept.</param>
internal sealed record TrainingResult(IReadOnlyList<EpochRecord> History, int BestEpoch);
