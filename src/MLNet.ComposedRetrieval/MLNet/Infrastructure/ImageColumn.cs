using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.ComposedRetrieval.Data;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// An input column of images, bound to a schema: ML.NET <see cref="MLImage"/> values (from <c>LoadImages</c>) or
/// String paths, resolved against an image folder when relative. Readers turn the current row into the
/// <see cref="RgbImage"/> that the one preprocessing path (<see cref="ImageBatch"/>) takes.
/// </summary>
internal sealed class ImageColumn
{
    internal ImageColumn(DataViewSchema.Column column, bool isPath, string? imageFolder, string role)
    {
        Column = column;
        IsPath = isPath;
        ImageFolder = imageFolder;
        Role = role;
    }

    public DataViewSchema.Column Column { get; }

    /// <summary>True when the column holds paths rather than decoded images.</summary>
    public bool IsPath { get; }

    public string? ImageFolder { get; }

    /// <summary>What the column is for, in error messages ("reference image", ...).</summary>
    public string Role { get; }

    /// <summary>A reader of the current row of <paramref name="row"/> (which must have this column active).</summary>
    public Reader CreateReader(DataViewRow row) => new(this, row);

    /// <summary>Reads images from one row source; not thread-safe (one per cursor).</summary>
    internal sealed class Reader
    {
        private readonly ImageColumn _column;
        private readonly DataViewRow _row;
        private readonly ValueGetter<MLImage>? _imageGetter;
        private readonly ValueGetter<ReadOnlyMemory<char>>? _pathGetter;
        // Reused between rows. LoadImages' getter disposes the image it replaces; images of other sources belong to
        // their owner, so this reader never disposes one.
        private MLImage _image = null!;
        private ReadOnlyMemory<char> _path;

        public Reader(ImageColumn column, DataViewRow row)
        {
            _column = column;
            _row = row;
            if (column.IsPath) _pathGetter = row.GetGetter<ReadOnlyMemory<char>>(column.Column);
            else _imageGetter = row.GetGetter<MLImage>(column.Column);
        }

        /// <summary>True when the column holds paths (see <see cref="ReadPath"/>).</summary>
        public bool IsPath => _column.IsPath;

        /// <summary>The current row's image, decoded. Any failure names the row, the column and, for paths, the file.</summary>
        /// <exception cref="FileNotFoundException">The path names no file.</exception>
        /// <exception cref="InvalidDataException">The image cannot be read or decoded (for MLImage columns: ML.NET's
        /// <c>LoadImages</c> failed on this row), or it exceeds <see cref="ImageLimits"/>.</exception>
        public RgbImage Read()
        {
            if (_column.IsPath)
            {
                var path = ReadPath();
                try
                {
                    return ImageDecoder.Decode(path);
                }
                catch (FileNotFoundException e)
                {
                    throw new FileNotFoundException(Where() + e.Message, path, e);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    throw new InvalidDataException(Where() + (e is InvalidDataException ? "" : $"image file '{path}': ") + e.Message, e);
                }
            }
            try
            {
                _imageGetter!(ref _image);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // LoadImages' own errors do not name the file, and its input is out of reach here: the row must say it.
                throw new InvalidDataException(Where() + $"the image could not be loaded ({e.Message}); the file is the one " +
                    $"row {_row.Position} of the data names.", e);
            }
            if (_image is null)
                throw new InvalidOperationException(Where() + "the column holds no image (null).");
            return RgbImage.FromMLImage(_image);
        }

        /// <summary>"Row 3, reference image column 'Image': ", the start of every error about the current row.</summary>
        private string Where() => $"Row {_row.Position}, {_column.Role} column '{_column.Column.Name}': ";

        /// <summary>The current row's image file (path columns only), resolved against the image folder.</summary>
        public string ReadPath()
        {
            _pathGetter!(ref _path);
            return Resolve(_path.ToString());
        }

        /// <summary>The current row's image files (path columns only): a list separated by <paramref name="separator"/>,
        /// each resolved against the image folder.</summary>
        public IReadOnlyList<string> ReadPaths(char separator)
        {
            _pathGetter!(ref _path);
            var parts = _path.ToString().Split(separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 0 ? [Resolve("")] : parts.Select(Resolve).ToList();
        }

        private string Resolve(string path)
        {
            if (string.IsNullOrWhiteSpace(path))
                throw new InvalidOperationException(
                    $"Row {_row.Position}: the {_column.Role} column '{_column.Column.Name}' holds an empty image path.");
            return _column.ImageFolder is null ? path : Path.Combine(_column.ImageFolder, path);
        }
    }

    /// <summary>A stable id for an image given as pixels: the same pixels give the same id in every run, so a feature
    /// cache on disk can be reused and the same image in two data views is recognised.</summary>
    public static string ContentId(RgbImage image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> size = stackalloc byte[8];
        BitConverter.TryWriteBytes(size, image.Width);
        BitConverter.TryWriteBytes(size[4..], image.Height);
        hash.AppendData(size);
        hash.AppendData(image.Rgb);
        return "pixels:" + Convert.ToHexString(hash.GetHashAndReset(), 0, 16).ToLowerInvariant();
    }
}
