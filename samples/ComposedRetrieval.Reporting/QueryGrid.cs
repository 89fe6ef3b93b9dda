using SkiaSharp;

namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// The paper's Figure 4: one row per query with the reference image, the target, the modification text, then each
/// method's top K retrieved images in its own labelled block; correct images are framed in green, the others in
/// grey. Under each block: the rank of the method's first correct image, when the ranking holds one.
/// </summary>
public static class QueryGrid
{
    private const float Margin = 16, Gap = 12, CellGap = 6, BlockGap = 28, FrameWidth = 4;
    private const float TitleHeight = 36, HeaderHeight = 44, CaptionHeight = 22, RowGap = 14, TextSize = 15, TextLineHeight = 20;
    private static readonly SKColor Ink = SKColor.Parse("#222222"), Muted = SKColor.Parse("#777777"),
        Correct = SKColor.Parse("#2ca02c"), Wrong = SKColor.Parse("#c8c8c8"), Rule = SKColor.Parse("#e3e3e3"), Backdrop = SKColor.Parse("#f4f4f4");

    /// <summary>Draws the grid.</summary>
    /// <param name="rows">The queries, top to bottom.</param>
    /// <param name="methods">The method blocks, left to right; every row needs a ranking for each.</param>
    /// <param name="loadImage">Decodes an image by id (e.g. <c>id =&gt; SKBitmap.Decode(path of id)</c>); each id is loaded once and
    /// the grid disposes the bitmap.</param>
    /// <param name="options">Layout; defaults show 60 x 80 images at twice their size.</param>
    public static SKBitmap Render(IReadOnlyList<QueryGridRow> rows, IReadOnlyList<string> methods, Func<string, SKBitmap> loadImage,
        QueryGridOptions? options = null)
    {
        options ??= new QueryGridOptions();
        options.Validate();
        if (rows.Count == 0) throw new ArgumentException("The query grid needs at least one query row.", nameof(rows));
        if (methods.Count == 0) throw new ArgumentException("The query grid needs at least one method.", nameof(methods));
        for (int r = 0; r < rows.Count; r++)
            foreach (var method in methods)
                if (!rows[r].RankedIds.ContainsKey(method))
                    throw new ArgumentException($"Query grid row {r} ({rows[r].Query}) has no ranking for method '{method}'; it has: {string.Join(", ", rows[r].RankedIds.Keys)}.", nameof(rows));

        var layout = new Layout(options, methods.Count, rows.Count);
        var bitmap = new SKBitmap((int)Math.Ceiling(layout.Width), (int)Math.Ceiling(layout.Height), SKColorType.Rgba8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var images = new ThumbnailCache(loadImage);

        float top = Margin;
        if (options.Title is not null)
        {
            using var titlePaint = ReportFonts.Text(19, Ink, bold: true, SKTextAlign.Center);
            canvas.DrawText(options.Title, layout.Width / 2, top + 22, titlePaint);
            top += TitleHeight;
        }
        DrawHeader(canvas, layout, methods, top);
        top += HeaderHeight;
        for (int r = 0; r < rows.Count; r++)
        {
            if (r > 0)
            {
                using var rule = new SKPaint { Color = Rule, StrokeWidth = 1 };
                canvas.DrawLine(Margin, top - RowGap / 2, layout.Width - Margin, top - RowGap / 2, rule);
            }
            try
            {
                DrawRow(canvas, layout, rows[r], methods, images, top);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Query grid row {r} ({rows[r].Query}): {e.Message}", e);
            }
            top += layout.RowHeight;
        }
        return bitmap;
    }

    /// <summary>Renders and writes a PNG file.</summary>
    public static void SavePng(IReadOnlyList<QueryGridRow> rows, IReadOnlyList<string> methods, Func<string, SKBitmap> loadImage,
        string path, QueryGridOptions? options = null)
    {
        using var bitmap = Render(rows, methods, loadImage, options);
        PngFile.Save(bitmap, path);
    }

    private static void DrawHeader(SKCanvas canvas, Layout layout, IReadOnlyList<string> methods, float top)
    {
        using var heading = ReportFonts.Text(14, Ink, bold: true, SKTextAlign.Center);
        using var rank = ReportFonts.Text(12, Muted, align: SKTextAlign.Center);
        float baseline = top + 18;
        canvas.DrawText("Reference", layout.ReferenceX + layout.ThumbWidth / 2, baseline, heading);
        if (layout.ShowTarget) canvas.DrawText("Target", layout.TargetX + layout.ThumbWidth / 2, baseline, heading);
        using (var left = ReportFonts.Text(14, Ink, bold: true))
            canvas.DrawText("Modification", layout.TextX, baseline, left);
        for (int m = 0; m < methods.Count; m++)
        {
            using var name = ReportFonts.Text(14, MethodColors.For(methods[m], methods), bold: true, SKTextAlign.Center);
            float blockX = layout.BlockX(m);
            canvas.DrawText(Elide(methods[m], layout.BlockWidth, name), blockX + layout.BlockWidth / 2, baseline, name);
            for (int k = 0; k < layout.TopK; k++)
                canvas.DrawText((k + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    layout.CellX(m, k) + layout.ThumbWidth / 2, top + HeaderHeight - 8, rank);
        }
    }

    private static void DrawRow(SKCanvas canvas, Layout layout, QueryGridRow row, IReadOnlyList<string> methods, ThumbnailCache images, float top)
    {
        var query = row.Query;
        var targets = query.TargetImageIds.ToHashSet(StringComparer.Ordinal);
        using var caption = ReportFonts.Text(11, Muted, align: SKTextAlign.Center);
        float captionBaseline = top + layout.ThumbHeight + 16;

        DrawThumbnail(canvas, images.Get(query.ReferenceImageId), layout.ReferenceX, top, layout, frame: Ink, frameWidth: 1);
        canvas.DrawText(Elide(query.ReferenceImageId, layout.ThumbWidth, caption), layout.ReferenceX + layout.ThumbWidth / 2, captionBaseline, caption);
        if (layout.ShowTarget)
        {
            var target = query.TargetImageIds[0];
            DrawThumbnail(canvas, images.Get(target), layout.TargetX, top, layout, frame: Correct, frameWidth: FrameWidth);
            var more = query.TargetImageIds.Count > 1 ? $" (+{query.TargetImageIds.Count - 1} more)" : "";
            canvas.DrawText(Elide(target + more, layout.ThumbWidth + Gap, caption), layout.TargetX + layout.ThumbWidth / 2, captionBaseline, caption);
        }

        using (var text = ReportFonts.Text(TextSize, Ink))
        {
            int maxLines = Math.Max(1, (int)((layout.ThumbHeight + CaptionHeight) / TextLineHeight));
            var lines = TextWrapping.Wrap($"“{query.Text}”", layout.TextWidth, text.MeasureText, maxLines);
            for (int i = 0; i < lines.Count; i++)
                canvas.DrawText(lines[i], layout.TextX, top + 16 + i * TextLineHeight, text);
        }

        for (int m = 0; m < methods.Count; m++)
        {
            var ranked = row.RankedIds[methods[m]];
            for (int k = 0; k < layout.TopK && k < ranked.Count; k++)
            {
                bool correct = targets.Contains(ranked[k]);
                DrawThumbnail(canvas, images.Get(ranked[k]), layout.CellX(m, k), top, layout,
                    frame: correct ? Correct : Wrong, frameWidth: correct ? FrameWidth : 1.5f);
            }
            int firstCorrect = FirstCorrectRank(ranked, targets);
            bool hit = firstCorrect >= 1 && firstCorrect <= layout.TopK;
            using var note = ReportFonts.Text(12, hit ? Correct : Muted, bold: hit, SKTextAlign.Center);
            var message = firstCorrect >= 1 ? $"first correct at rank {firstCorrect}" : $"no correct image in its top {ranked.Count}";
            canvas.DrawText(message, layout.BlockX(m) + layout.BlockWidth / 2, captionBaseline, note);
        }
    }

    /// <summary>The 1-based rank of the first correct id, or 0 when the ranking holds none.</summary>
    public static int FirstCorrectRank(IReadOnlyList<string> ranked, IReadOnlySet<string> targets)
    {
        for (int i = 0; i < ranked.Count; i++)
            if (targets.Contains(ranked[i])) return i + 1;
        return 0;
    }

    /// <summary>Fits the image into the thumbnail box (aspect kept, centred on a light backdrop) and frames the box.</summary>
    private static void DrawThumbnail(SKCanvas canvas, SKBitmap image, float x, float y, Layout layout, SKColor frame, float frameWidth)
    {
        var box = SKRect.Create(x, y, layout.ThumbWidth, layout.ThumbHeight);
        using (var backdrop = new SKPaint { Color = Backdrop })
            canvas.DrawRect(box, backdrop);
        float fit = Math.Min(box.Width / image.Width, box.Height / image.Height);
        var target = SKRect.Create(box.MidX - image.Width * fit / 2, box.MidY - image.Height * fit / 2, image.Width * fit, image.Height * fit);
        using (var smooth = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = true })
            canvas.DrawBitmap(image, target, smooth);
        using var stroke = new SKPaint { Color = frame, StrokeWidth = frameWidth, Style = SKPaintStyle.Stroke, IsAntialias = true };
        canvas.DrawRect(SKRect.Inflate(box, frameWidth / 2, frameWidth / 2), stroke);
    }

    /// <summary>Shortens <paramref name="text"/> with "…" until it fits <paramref name="width"/>.</summary>
    private static string Elide(string text, float width, SKPaint paint)
    {
        if (paint.MeasureText(text) <= width) return text;
        while (text.Length > 1 && paint.MeasureText(text + "…") > width) text = text[..^1];
        return text + "…";
    }

    /// <summary>Column positions and sizes in pixels.</summary>
    private sealed class Layout
    {
        public Layout(QueryGridOptions options, int methodCount, int rowCount)
        {
            (ThumbWidth, ThumbHeight, TopK, TextWidth, ShowTarget) =
                (options.ThumbnailWidth, options.ThumbnailHeight, options.TopK, options.TextColumnWidth, options.ShowTarget);
            ReferenceX = Margin;
            TargetX = ReferenceX + ThumbWidth + Gap;
            TextX = (ShowTarget ? TargetX + ThumbWidth : ReferenceX + ThumbWidth) + Gap + 4;
            BlocksX = TextX + TextWidth + BlockGap;
            BlockWidth = TopK * ThumbWidth + (TopK - 1) * CellGap;
            Width = BlocksX + methodCount * BlockWidth + (methodCount - 1) * BlockGap + Margin;
            RowHeight = ThumbHeight + CaptionHeight + RowGap;
            Height = Margin + (options.Title is null ? 0 : TitleHeight) + HeaderHeight + rowCount * RowHeight - RowGap + Margin;
        }

        public float ThumbWidth { get; }
        public float ThumbHeight { get; }
        public int TopK { get; }
        public float TextWidth { get; }
        public bool ShowTarget { get; }
        public float ReferenceX { get; }
        public float TargetX { get; }
        public float TextX { get; }
        public float BlocksX { get; }
        public float BlockWidth { get; }
        public float Width { get; }
        public float Height { get; }
        public float RowHeight { get; }

        public float BlockX(int method) => BlocksX + method * (BlockWidth + BlockGap);

        public float CellX(int method, int rank) => BlockX(method) + rank * (ThumbWidth + CellGap);
    }

    /// <summary>Decodes each image id once per grid and owns the bitmaps.</summary>
    private sealed class ThumbnailCache(Func<string, SKBitmap> load) : IDisposable
    {
        private readonly Dictionary<string, SKBitmap> _bitmaps = new(StringComparer.Ordinal);

        public SKBitmap Get(string id)
        {
            if (_bitmaps.TryGetValue(id, out var bitmap)) return bitmap;
            SKBitmap? image;
            try
            {
                image = load(id);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"image '{id}' could not be loaded: {e.Message}", e);
            }
            return _bitmaps[id] = image ?? throw new InvalidDataException($"image '{id}' could not be decoded.");
        }

        public void Dispose()
        {
            foreach (var bitmap in _bitmaps.Values) bitmap.Dispose();
        }
    }
}
