using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

[Collection(TrainedModelCollection.Name)]
public class BatchedTransformTests(TrainedModelFixture fixture)
{
    private readonly MLContext _ml = fixture.ML;

    private ComposeImageTextTransformer InBatchesOf(int size) =>
        fixture.Model.WithSettings(fixture.Model.Settings with { BatchSize = size });

    private IDataView SevenRows() => SyntheticRows.Triplets(_ml, SyntheticRows.Task.Queries.Take(7));

    /// <summary>The embedding of one row computed alone (a batch of one), the reference for batching tests.</summary>
    private float[] AloneEmbedding(int queryIndex)
    {
        var query = SyntheticRows.Task.Queries[queryIndex];
        var model = fixture.Model.Model;
        var values = new float[model.EmbeddingDimension];
        using var image = SyntheticRows.Image(query.Reference);
        model.ComposeQueries([model.Prepare(RgbImage.FromMLImage(image))], [query.Text], values);
        return values;
    }

    [Fact]
    public void TransformedSchemaEqualsGetOutputSchemaAndAddsAnEmbeddingVector()
    {
        var input = SevenRows();
        var predicted = fixture.Model.GetOutputSchema(input.Schema);
        var actual = fixture.Model.Transform(input).Schema;

        Assert.Equal(predicted.Select(c => (c.Name, c.Type.ToString())), actual.Select(c => (c.Name, c.Type.ToString())));
        Assert.Equal(input.Schema.Count + 1, actual.Count);
        var added = actual[actual.Count - 1];
        Assert.Equal("QueryEmbedding", added.Name);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 32), added.Type);
        Assert.Equal(input.Schema.Select(c => c.Name), actual.Take(input.Schema.Count).Select(c => c.Name));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(32)]
    public void SevenRowsInAnyBatchSizeGiveEachRowItsOwnEmbeddingAndPassThroughValues(int batchSize)
    {
        var rows = _ml.Data.CreateEnumerable<QueryRow>(InBatchesOf(batchSize).Transform(SevenRows()), reuseRowObject: false).ToList();

        Assert.Equal(7, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var query = SyntheticRows.Task.Queries[i];
            Assert.Equal(i, rows[i].RowNumber);
            Assert.Equal(query.Text, rows[i].ModificationText);
            Assert.Equal(query.Reference.ToString(), rows[i].ReferenceImageId);
            var alone = AloneEmbedding(i);
            for (int d = 0; d < alone.Length; d++) Assert.Equal(alone[d], rows[i].QueryEmbedding[d], 1e-5f);
        }
    }

    [Fact]
    public void ReadingAheadComputesOneBatchAtATimeAndNothingBeforeRowsAreRead()
    {
        var counted = new CountingDataView(SevenRows());
        var transformed = InBatchesOf(3).Transform(counted);
        Assert.Equal(0, counted.RowsRead);

        var embedding = transformed.Schema["QueryEmbedding"];
        using var cursor = transformed.GetRowCursor([embedding, transformed.Schema["RowNumber"]]);
        Assert.True(cursor.MoveNext());
        // The row itself (following cursor) plus one batch of three (leading cursor).
        Assert.Equal(1 + 3, counted.RowsRead);
        Assert.True(cursor.MoveNext());
        Assert.True(cursor.MoveNext());
        Assert.Equal(3 + 3, counted.RowsRead);
        Assert.True(cursor.MoveNext());
        Assert.Equal(4 + 6, counted.RowsRead);
    }

    [Fact]
    public void PassThroughColumnsAloneOpenNoLeadingCursor()
    {
        var counted = new CountingDataView(SevenRows());
        var transformed = fixture.Model.Transform(counted);
        using var cursor = transformed.GetRowCursor([transformed.Schema["RowNumber"]]);
        var getter = cursor.GetGetter<int>(transformed.Schema["RowNumber"]);
        int count = 0, value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            Assert.Equal(count++, value);
        }
        Assert.Equal(7, count);
        Assert.Equal(1, counted.Cursors);
        Assert.False(cursor.IsColumnActive(transformed.Schema["QueryEmbedding"]));
    }

    [Fact]
    public void AGetterOfTheWrongTypeIsRefused()
    {
        var transformed = fixture.Model.Transform(SevenRows());
        using var cursor = transformed.GetRowCursor(transformed.Schema);
        var error = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<float>(transformed.Schema["QueryEmbedding"]));
        Assert.Contains("QueryEmbedding", error.Message);
    }

    [Fact]
    public void EmptyInputGivesNoRows()
    {
        var empty = SyntheticRows.Triplets(_ml, []);
        Assert.Empty(_ml.Data.CreateEnumerable<QueryRow>(fixture.Model.Transform(empty), reuseRowObject: false));
    }

    [Fact]
    public void PredictionEngineGivesTheTransformsEmbeddings()
    {
        var engine = _ml.Model.CreatePredictionEngine<QueryInput, QueryRow>(fixture.Model);
        var fromTransform = _ml.Data.CreateEnumerable<QueryRow>(fixture.Model.Transform(SevenRows()), reuseRowObject: false).ToList();

        for (int i = 0; i < 3; i++)
        {
            var query = SyntheticRows.Task.Queries[i];
            var predicted = engine.Predict(new QueryInput { ReferenceImage = SyntheticRows.Image(query.Reference), ModificationText = query.Text });
            for (int d = 0; d < predicted.QueryEmbedding.Length; d++)
                Assert.Equal(fromTransform[i].QueryEmbedding[d], predicted.QueryEmbedding[d], 1e-5f);
        }
    }

    [Fact]
    public void AMissingColumnIsNamedWithTheColumnsThereAre()
    {
        var input = _ml.Data.LoadFromEnumerable(new[] { new { Caption = "make it red" } }.Select(r => new TextOnly { Caption = r.Caption }));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Model.Transform(input));

        Assert.Contains("'ReferenceImage'", error.Message);
        Assert.Contains("'Caption'", error.Message);
    }

    [Fact]
    public void AColumnOfTheWrongTypeNamesExpectedAndFoundTypes()
    {
        var input = _ml.Data.LoadFromEnumerable(new[] { new WrongTypes { ReferenceImage = "0.png", ModificationText = 1f } });

        var transform = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Model.Transform(input));
        var schema = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Model.GetOutputSchema(input.Schema));

        foreach (var error in new[] { transform, schema })
        {
            Assert.Contains("'ModificationText'", error.Message);
            Assert.Contains("expected String", error.Message);
            Assert.Contains("found Single", error.Message);
        }
    }

    private sealed class QueryInput
    {
        [ImageType(SyntheticRows.ImageSize, SyntheticRows.ImageSize)]
        public MLImage ReferenceImage { get; set; } = null!;

        public string ModificationText { get; set; } = "";
    }

    private sealed class QueryRow
    {
        public int RowNumber { get; set; }
        public string ModificationText { get; set; } = "";
        public string ReferenceImageId { get; set; } = "";
        public float[] QueryEmbedding { get; set; } = [];
    }

    private sealed class TextOnly
    {
        public string Caption { get; set; } = "";
    }

    private sealed class WrongTypes
    {
        public string ReferenceImage { get; set; } = "";
        public float ModificationText { get; set; }
    }
}
