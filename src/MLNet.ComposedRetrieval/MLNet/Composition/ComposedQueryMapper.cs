using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>Adds the composed query embedding of each row's reference image and modification text.</summary>
internal sealed class ComposedQueryMapper : BatchedRowMapper
{
    private readonly ComposedRetrievalModel _model;
    private readonly ImageColumn _reference;
    private readonly DataViewSchema.Column _text;
    private readonly string _outputColumnName;

    public ComposedQueryMapper(ComposedRetrievalModel model, DataViewSchema inputSchema, string outputColumnName,
        string referenceImageColumnName, string textColumnName, string? imageFolder, int batchSize)
        : base(inputSchema, batchSize)
    {
        _model = model;
        _outputColumnName = outputColumnName;
        _reference = ColumnBinding.BindImage(inputSchema, referenceImageColumnName, "reference image", imageFolder);
        _text = ColumnBinding.BindText(inputSchema, textColumnName, "modification text");
        OutputColumns = [(outputColumnName, new VectorDataViewType(NumberDataViewType.Single, model.EmbeddingDimension))];
    }

    public override IReadOnlyList<(string Name, DataViewType Type)> OutputColumns { get; }

    public override IReadOnlyList<DataViewSchema.Column> Dependencies => [_reference.Column, _text];

    public override BatchState CreateState(DataViewRow source) => new Batch(this, source);

    private sealed class Batch(ComposedQueryMapper mapper, DataViewRow source)
        : EmbeddingBatch(mapper._outputColumnName, mapper._model.EmbeddingDimension, mapper.BatchSize)
    {
        private readonly ImageColumn.Reader _images = mapper._reference.CreateReader(source);
        private readonly TextColumnReader _texts = new(source, mapper._text);
        private readonly List<RgbImage> _pendingImages = new(mapper.BatchSize);
        private readonly List<string> _pendingTexts = new(mapper.BatchSize);

        public override void ReadCurrentRow()
        {
            _pendingImages.Add(mapper._model.Prepare(_images.Read()));
            _pendingTexts.Add(_texts.Read());
            Count++;
        }

        protected override void ComputeInto(Span<float> destination) =>
            mapper._model.ComposeQueries(_pendingImages, _pendingTexts, destination);

        public override void Clear()
        {
            _pendingImages.Clear();
            _pendingTexts.Clear();
            Count = 0;
        }
    }
}
