using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;
using MLNet.ComposedRetrieval.Retrieval;

namespace MLNet.ComposedRetrieval;

/// <summary>Adds, per query row, the ids and scores of its top-K gallery images.</summary>
internal sealed class GallerySearchMapper : BatchedRowMapper
{
    private readonly GallerySearchEngine _engine;
    private readonly ImageColumn _reference;
    private readonly DataViewSchema.Column _text;
    private readonly DataViewSchema.Column? _excluded;
    private readonly int _k;
    private readonly string _idsColumnName;
    private readonly string _scoresColumnName;

    public GallerySearchMapper(GallerySearchEngine engine, DataViewSchema inputSchema, int k, string? excludedIdColumnName,
        string idsColumnName, string scoresColumnName)
        : base(inputSchema, engine.Model.BatchSize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idsColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(scoresColumnName);
        _engine = engine;
        _k = k;
        _idsColumnName = idsColumnName;
        _scoresColumnName = scoresColumnName;
        var model = engine.Model;
        _reference = ColumnBinding.BindImage(inputSchema, model.ReferenceImageColumnName, "reference image", model.ImageFolder);
        _text = ColumnBinding.BindText(inputSchema, model.TextColumnName, "modification text");
        _excluded = excludedIdColumnName is null ? null : ColumnBinding.BindText(inputSchema, excludedIdColumnName, "excluded image id");
        OutputColumns =
        [
            (idsColumnName, new VectorDataViewType(TextDataViewType.Instance)),
            (scoresColumnName, new VectorDataViewType(NumberDataViewType.Single)),
        ];
    }

    public override IReadOnlyList<(string Name, DataViewType Type)> OutputColumns { get; }

    public override IReadOnlyList<DataViewSchema.Column> Dependencies =>
        _excluded is { } excluded ? [_reference.Column, _text, excluded] : [_reference.Column, _text];

    public override BatchState CreateState(DataViewRow source) => new Batch(this, source);

    private sealed class Batch : BatchState
    {
        private readonly GallerySearchMapper _mapper;
        private readonly ComposedRetrievalModel _model;
        private readonly ImageColumn.Reader _images;
        private readonly TextColumnReader _texts;
        private readonly TextColumnReader? _excludedIds;
        private readonly List<RgbImage> _pendingImages;
        private readonly List<string> _pendingTexts;
        private readonly List<string?> _pendingExcluded;
        private readonly float[] _queries;
        private IReadOnlyList<GalleryRanking> _rankings = [];

        public Batch(GallerySearchMapper mapper, DataViewRow source)
        {
            _mapper = mapper;
            _model = mapper._engine.Model.Model;
            _images = mapper._reference.CreateReader(source);
            _texts = new TextColumnReader(source, mapper._text);
            _excludedIds = mapper._excluded is { } excluded ? new TextColumnReader(source, excluded) : null;
            _pendingImages = new(mapper.BatchSize);
            _pendingTexts = new(mapper.BatchSize);
            _pendingExcluded = new(mapper.BatchSize);
            _queries = new float[mapper.BatchSize * _model.EmbeddingDimension];
        }

        public override void ReadCurrentRow()
        {
            _pendingImages.Add(_model.Prepare(_images.Read()));
            _pendingTexts.Add(_texts.Read());
            _pendingExcluded.Add(_excludedIds?.Read() is { Length: > 0 } id ? id : null);
            Count++;
        }

        public override void Compute()
        {
            var queries = _queries.AsSpan(0, Count * _model.EmbeddingDimension);
            _model.ComposeQueries(_pendingImages, _pendingTexts, queries);
            _rankings = _mapper._engine.Rank(queries, Count, _mapper._k, _pendingExcluded);
        }

        public override void Clear()
        {
            _pendingImages.Clear();
            _pendingTexts.Clear();
            _pendingExcluded.Clear();
            Count = 0;
        }

        public override ValueGetter<T> GetGetter<T>(int output, RowInBatch position)
        {
            if (output == 0)
            {
                ValueGetter<VBuffer<ReadOnlyMemory<char>>> ids = (ref VBuffer<ReadOnlyMemory<char>> value) =>
                {
                    var ranking = _rankings[position.Index];
                    var editor = VBufferEditor.Create(ref value, ranking.Count);
                    for (int i = 0; i < ranking.Count; i++) editor.Values[i] = ranking.Ids[i].AsMemory();
                    value = editor.Commit();
                };
                return Typed<T, VBuffer<ReadOnlyMemory<char>>>(ids, _mapper._idsColumnName);
            }
            ValueGetter<VBuffer<float>> scores = (ref VBuffer<float> value) =>
            {
                var ranking = _rankings[position.Index];
                var editor = VBufferEditor.Create(ref value, ranking.Count);
                for (int i = 0; i < ranking.Count; i++) editor.Values[i] = ranking.Scores[i];
                value = editor.Commit();
            };
            return Typed<T, VBuffer<float>>(scores, _mapper._scoresColumnName);
        }
    }
}
