using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

[Collection(TrainedModelCollection.Name)]
public class ComposeImageTextEstimatorTests(TrainedModelFixture fixture)
{
    private static IEnumerable<Data.Synthetic.SyntheticTriplet> FewTriplets => SyntheticRows.Task.TrainTriplets.Take(32);

    private static ComposeImageTextEstimator.Options TwoSteps()
    {
        var options = SyntheticRows.QuickOptions();
        options.BatchSize = 16;
        return options;
    }

    /// <summary>ML.NET keeps <c>SchemaShape.Create</c> internal; tests reach it to build an input shape.</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [schema])!;

    [Fact]
    public void TrainingReportsThroughMLContextLog()
    {
        Assert.Contains(fixture.Log, m => m.Contains("Source=ComposeImageText") && m.Contains("Kind=Info") && m.Contains("epoch 1: loss"));
        Assert.Contains(fixture.Log, m => m.Contains("64 training triplets"));
        Assert.Contains(fixture.Log, m => m.Contains("epoch 1/1: 4/4 (100%)"));
        var epoch = Assert.Single(fixture.Model.TrainingHistory);
        Assert.Equal(4, epoch.Steps);
        Assert.NotNull(epoch.Sigma);
    }

    [Fact]
    public void PathColumnsAndLoadImagesColumnsBothTrainAndReadTheSamePixels()
    {
        using var folder = new TemporaryFolder();
        SyntheticRows.WritePngs(folder.FullPath);
        var ml = new MLContext(seed: 1);
        var paths = SyntheticRows.PathTriplets(ml, FewTriplets);

        var fromPaths = TwoSteps();
        (fromPaths.ReferenceImageColumnName, fromPaths.TargetImageColumnName, fromPaths.ImageFolder) = ("ReferencePath", "TargetPath", folder.FullPath);
        using var pathModel = ml.Transforms.ComposeImageText(fromPaths).Fit(paths);

        var pipeline = ml.Transforms.LoadImages("ReferenceImage", folder.FullPath, "ReferencePath")
            .Append(ml.Transforms.LoadImages("TargetImage", folder.FullPath, "TargetPath"))
            .Append(ml.Transforms.ComposeImageText(TwoSteps()));
        var chain = pipeline.Fit(paths);
        using var imageModel = chain.LastTransformer;
        Assert.Equal(2, imageModel.TrainingHistory[0].Steps);

        // The path-trained model reading the LoadImages column instead of the paths sees the same pixels.
        var onImages = pathModel.WithSettings(pathModel.Settings with { ReferenceImageColumnName = "ReferenceImage" });
        var loaded = ml.Transforms.LoadImages("ReferenceImage", folder.FullPath, "ReferencePath").Fit(paths).Transform(paths);
        Assert.Equal(DataViewColumns.Vectors(pathModel.Transform(paths), "QueryEmbedding"),
                     DataViewColumns.Vectors(onImages.Transform(loaded), "QueryEmbedding"));
    }

    [Fact]
    public void FrozenEncodersFillAFeatureCacheThatTheNextRunReuses()
    {
        using var folder = new TemporaryFolder();
        var log = new List<string>();
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var options = TwoSteps();
        (options.FineTuneImageEncoder, options.FineTuneTextEncoder, options.FeatureCacheFolder) = (false, false, folder.FullPath);
        var data = SyntheticRows.Triplets(ml, FewTriplets);
        int images = FewTriplets.SelectMany(t => new[] { t.Reference, t.Target }).Distinct().Count();

        using var first = ml.Transforms.ComposeImageText(options).Fit(data);
        using var second = ml.Transforms.ComposeImageText(options).Fit(data);

        Assert.Contains(log, m => m.Contains($"Image features: {images} of {images} to compute"));
        Assert.Contains(log, m => m.Contains($"Image features: 0 of {images} to compute"));
        // One cache for image maps, one for sentence features.
        Assert.Equal(2, Directory.GetDirectories(folder.FullPath).Length);
        Assert.Equal(2, second.TrainingHistory[0].Steps);
    }

    [Fact]
    public void ValidationRecallIsComputedEveryEpochAndAMissingGpuFallsBackWhenAllowed()
    {
        var log = new List<string>();
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var options = TwoSteps();
        options.Epochs = 2;
        options.ValidationSet = SyntheticRows.Triplets(ml, SyntheticRows.Task.Queries.Take(8));

        using var model = ml.Transforms.ComposeImageText(options).Fit(SyntheticRows.Triplets(ml, FewTriplets));

        Assert.Equal(2, model.TrainingHistory.Count);
        Assert.All(model.TrainingHistory, e => Assert.Equal([1, 10, 50], e.ValidationRecall.Keys.Order()));
        Assert.Contains(log, m => m.Contains("Kind=Warning") && m.Contains("CUDA is not available"));

        // The kept epoch's validation recall, as its history recorded it, and the reference-alone line on the same queries.
        var training = Assert.IsType<TrainingOutcome>(model.Training);
        Assert.InRange(training.BestEpoch, 0, 1);
        var kept = model.TrainingHistory[training.BestEpoch].ValidationRecall;
        var validation = Assert.IsType<RecallAtKMetrics>(training.Validation);
        Assert.Equal(8, validation.QueryCount);
        // Both fractions, as every public recall is.
        foreach (var k in new[] { 1, 10, 50 }) Assert.Equal(kept[k], validation.RecallAt(k), 8);
        var referenceOnly = Assert.IsType<RecallAtKMetrics>(training.ReferenceOnlyValidation);
        Assert.Equal((8, validation.GallerySize), (referenceOnly.QueryCount, referenceOnly.GallerySize));
    }

    [Fact]
    public void AGpuWithoutCudaAndWithoutFallbackIsAnError()
    {
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ComposeImageText(TwoSteps()).Fit(SyntheticRows.Triplets(ml, FewTriplets)));
        Assert.Contains("FallbackToCpu", error.Message);
    }

    [Fact]
    public void OutputSchemaAddsTheEmbeddingAndChecksColumnsEvenThroughLoadImages()
    {
        var ml = new MLContext();
        var triplets = SyntheticRows.Triplets(ml, FewTriplets);
        var estimator = ml.Transforms.ComposeImageText(TwoSteps());

        var shape = estimator.GetOutputSchema(ShapeOf(triplets.Schema));
        var added = shape.Single(c => c.Name == "QueryEmbedding");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, added.Kind);
        Assert.Equal(NumberDataViewType.Single, added.ItemType);
        Assert.Equal(triplets.Schema.Count + 1, shape.Count);

        var paths = SyntheticRows.PathTriplets(ml, FewTriplets);
        var pipeline = ml.Transforms.LoadImages("ReferenceImage", ".", "ReferencePath").Append(estimator);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.GetOutputSchema(ShapeOf(paths.Schema)));
        Assert.Contains("target image column 'TargetImage' was not found", error.Message);
    }

    [Fact]
    public void FitNamesAWrongColumn()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new NumericTarget { ReferenceImage = "0.png", ModificationText = "make it red", TargetImage = 3 } });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ComposeImageText(TwoSteps()).Fit(data));

        Assert.Contains("'TargetImage'", error.Message);
        Assert.Contains("expected an image (MLImage", error.Message);
        Assert.Contains("found Int32", error.Message);
    }

    [Fact]
    public void BadOptionsFailWhenTheEstimatorIsMade()
    {
        var ml = new MLContext();
        var options = TwoSteps();
        options.BatchSize = 1;
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ComposeImageText(options));
        options = TwoSteps();
        options.TripletsPerEpoch = 8;
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ComposeImageText(options));
        // The ranges a model file is checked against at Load (ModelSettingLimits) hold here too.
        foreach (var (batch, length) in new[] { (0, 16), (ModelSettingLimits.MaxInferenceBatchSize + 1, 16), (32, 1), (32, ModelSettingLimits.MaxTextLength + 1) })
        {
            options = TwoSteps();
            (options.InferenceBatchSize, options.MaxTextLength) = (batch, length);
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ComposeImageText(options));
            Assert.Equal(batch == 32 ? nameof(options.MaxTextLength) : nameof(options.InferenceBatchSize), error.ParamName);
        }
        options = TwoSteps();
        options.Loss = (LossVariant)7;
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ComposeImageText(options));
        options = TwoSteps();
        options.ValidationGallery = ml.Data.LoadFromEnumerable(new[] { new NumericTarget() });
        Assert.Throws<ArgumentException>(() => new ComposeImageTextEstimator(ml, options));
    }

    [Fact]
    public void ACancelledFitResumesFromItsCheckpointFolderAndReportsProgress()
    {
        using var folder = new TemporaryFolder();
        var ml = new MLContext(seed: 1);
        var data = SyntheticRows.Triplets(ml, FewTriplets);
        using var cancellation = new CancellationTokenSource();
        var stages = new List<string>();
        var options = TwoSteps();
        (options.Epochs, options.Seed, options.CheckpointFolder, options.CancellationToken) = (2, 3, folder.FullPath, cancellation.Token);
        // Cancel as soon as the second epoch starts: the first is then finished and checkpointed.
        options.Progress = new SynchronousProgress(p =>
        {
            stages.Add(p.Stage);
            if (p.Stage == "epoch 2/2") cancellation.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.ComposeImageText(options).Fit(data));
        Assert.Contains("epoch 1/2", stages);

        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        options.CancellationToken = CancellationToken.None;
        options.Progress = null;
        using var resumed = ml.Transforms.ComposeImageText(options).Fit(data);
        Assert.Contains(log, m => m.Contains("Resuming after epoch 1"));
        Assert.Equal([0, 1], resumed.TrainingHistory.Select(e => e.Epoch));
    }

    [Fact]
    public void ValidationTargetsMayListSeveralImages()
    {
        using var folder = new TemporaryFolder();
        SyntheticRows.WritePngs(folder.FullPath);
        var ml = new MLContext(seed: 1);
        var queries = SyntheticRows.Task.Queries.Take(8).ToList();
        // Every query also accepts a second target; listing the true one second still counts as a hit.
        var validation = ml.Data.LoadFromEnumerable(queries.Select(q => new SyntheticRows.PathTripletRow
        {
            ReferencePath = $"{q.Reference}.png", ModificationText = q.Text, TargetPath = $"{queries[0].Reference}.png; {q.Target}.png",
        }));
        var options = TwoSteps();
        (options.ReferenceImageColumnName, options.TargetImageColumnName, options.ImageFolder) = ("ReferencePath", "TargetPath", folder.FullPath);
        (options.ValidationSet, options.Loss) = (validation, LossVariant.InfoNce);

        using var model = ml.Transforms.ComposeImageText(options).Fit(SyntheticRows.PathTriplets(ml, FewTriplets));

        var recall = Assert.Single(model.TrainingHistory).ValidationRecall;
        Assert.Equal([1, 10, 50], recall.Keys.Order());
        // The gallery is the references and every listed target (at most 17 images): all are in the top 50.
        Assert.Equal(1.0, recall[50]);
        Assert.Null(model.TrainingHistory[0].Sigma);
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void TooFewTripletsForABatchIsAnError()
    {
        var ml = new MLContext();
        var error = Assert.Throws<ArgumentException>(() =>
            ml.Transforms.ComposeImageText(TwoSteps()).Fit(SyntheticRows.Triplets(ml, FewTriplets.Take(5))));
        Assert.Contains("no full batch", error.Message);
    }

    private sealed class NumericTarget
    {
        public string ReferenceImage { get; set; } = "";
        public string ModificationText { get; set; } = "";
        public int TargetImage { get; set; }
    }
}
