using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>Adds the embedding of each row's image as a gallery (target) image.</summary>
internal sealed class ImageEmbeddingMapper : BatchedRowMapper
{
    private readonly ComposedRetrievalModel _model;
    private readonly ImageColumn _image;
    private readonly string _outputColumnName;

    public ImageEmbeddingMapper(ComposedRetrievalModel model, DataViewSchema inputSchema, string outputColumnName,
        string imageColumnName, string? imageFolder, int batchSize)
        : base(inputSchema, batchSize)
    {
        _model = model;
        _outputColumnName = outputColumnName;
        _image = ColumnBinding.BindImage(inputSchema, imageColumnName, "gallery image", imageFolder);
        OutputColumns = [(outputColumnName, new VectorDataViewType(NumberDataViewType.Single, model.EmbeddingDimension))];
    }

    public override IReadOnlyList<(string Name, DataViewType Type)> OutputColumns { get; }

    public override IReadOnlyList<DataViewSchema.Column> Dependencies => [_image.Column];

    public override BatchState CreateState(DataViewRow source) => new Batch(this, source);

    private sealed class Batch(ImageEmbeddingMapper mapper, DataViewRow source)
        : EmbeddingBatch(mapper._outputColumnName, mapper._model.EmbeddingDimension, mapper.BatchSize)
    {
        private readonly ImageColumn.Reader _images = mapper._image.CreateReader(source);
        private readonly List<RgbImage> _pending = new(mapper.BatchSize);

        public override void ReadCurrentRow()
        {
            _pending.Add(mapper._model.Prepare(_images.Read()));
            Count++;
        }

        protected override void ComputeInto(Span<float> destination) => mapper._model.EmbedImages(_pending, destination);

        public override void Clear()
        {
            _pending.Clear();
            Count = 0;
        }
    }
}
