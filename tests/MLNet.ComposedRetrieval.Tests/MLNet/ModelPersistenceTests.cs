using System.Buffers.Binary;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Tests.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

[Collection(TrainedModelCollection.Name)]
public sealed class ModelPersistenceTests(TrainedModelFixture fixture) : IDisposable
{
    private readonly MLContext _ml = fixture.ML;
    private readonly TemporaryFolder _folder = new();

    private string SavedModel()
    {
        var path = Path.Combine(_folder.FullPath, "model.mlcr");
        if (!File.Exists(path)) fixture.Model.Save(path);
        return path;
    }

    private static float[][] Embeddings(ITransformer model, IDataView data, string column = "QueryEmbedding") =>
        DataViewColumns.Vectors(model.Transform(data), column);

    [Fact]
    public void ALoadedModelGivesBitIdenticalQueryAndGalleryEmbeddings()
    {
        var queries = SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries.Take(9));
        using var loaded = ComposeImageTextTransformer.Load(_ml, SavedModel());

        Assert.Equal(Embeddings(fixture.Model, queries), Embeddings(loaded, queries));
        var gallery = SyntheticRows.Gallery(_ml);
        Assert.Equal(Embeddings(_ml.Transforms.EmbedGalleryImages(fixture.Model).Fit(gallery), gallery, "ImageEmbedding"),
                     Embeddings(_ml.Transforms.EmbedGalleryImages(loaded).Fit(gallery), gallery, "ImageEmbedding"));
        Assert.Equal(fixture.Model.OutputColumnName, loaded.OutputColumnName);
        Assert.Equal(fixture.Model.TextColumnName, loaded.TextColumnName);
        Assert.Equal(fixture.Model.TrainingHistory.Select(e => e.Loss), loaded.TrainingHistory.Select(e => e.Loss));
        Assert.Equal(ImageEncoderArchitecture.SmallConvNet, loaded.ImageEncoder);
    }

    [Fact]
    public void ADisposedModelSaysSo()
    {
        var loaded = ComposeImageTextTransformer.Load(_ml, SavedModel());
        loaded.Dispose();
        var queries = SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries.Take(2));
        Assert.Throws<ObjectDisposedException>(() => Embeddings(loaded, queries));
    }

    [Fact]
    public void TheModelCatalogLoadsItToo()
    {
        using var loaded = _ml.Model.LoadComposeImageText(SavedModel());
        Assert.Equal(fixture.Model.EmbeddingDimension, loaded.EmbeddingDimension);
    }

    [Fact]
    public void MLNetModelSaveThrowsNamingTheSupportedApi()
    {
        var data = SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries.Take(2));
        var chain = new TransformerChain<ITransformer>(_ml.Transforms.CopyColumns("Text2", "ModificationText").Fit(data), fixture.Model);

        foreach (ITransformer model in new ITransformer[] { fixture.Model, chain })
        {
            var error = Assert.Throws<NotSupportedException>(() => _ml.Model.Save(model, data.Schema, Path.Combine(_folder.FullPath, "mlnet.zip")));
            Assert.Contains("ComposeImageTextTransformer.Save(path)", error.Message);
            Assert.Contains("ComposeImageTextTransformer.Load(mlContext, path)", error.Message);
        }
    }

    [Fact]
    public void AFlippedByteIsReportedAsCorruption()
    {
        var bytes = File.ReadAllBytes(SavedModel());
        bytes[bytes.Length / 2] ^= 0x40;
        var error = LoadFails<InvalidDataException>(bytes);
        Assert.Contains("corrupt", error.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.0005)]
    public void ATruncatedFileIsReportedAsTruncated(double keptShare)
    {
        var bytes = File.ReadAllBytes(SavedModel());
        var error = LoadFails<InvalidDataException>(bytes.AsSpan(0, Math.Max(9, (int)(bytes.Length * keptShare))).ToArray());
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void AnotherFormatVersionIsNamed()
    {
        var bytes = File.ReadAllBytes(SavedModel());
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 7);
        var error = LoadFails<InvalidDataException>(bytes);
        Assert.Contains("format version 7", error.Message);
        Assert.Contains("reads format version 1", error.Message);
    }

    [Fact]
    public void AForeignFileIsRecognised()
    {
        var error = LoadFails<InvalidDataException>("PK\u0003\u0004 this is a zip, not a model"u8.ToArray());
        Assert.Contains("not an MLNet.ComposedRetrieval model file", error.Message);
        Assert.Throws<FileNotFoundException>(() => ComposeImageTextTransformer.Load(_ml, Path.Combine(_folder.FullPath, "absent.mlcr")));
    }

    private T LoadFails<T>(byte[] bytes) where T : Exception
    {
        var path = Path.Combine(_folder.FullPath, $"broken-{Guid.NewGuid():N}.mlcr");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<T>(() => ComposeImageTextTransformer.Load(_ml, path));
        Assert.Contains(path, error.Message);
        return error;
    }

    public void Dispose() => _folder.Dispose();
}
