namespace MLNet.ComposedRetrieval.Tests.Storage;

/// <summary>A write-only stream over another that fails like a full disk once <c>capacity</c> bytes are written.</summary>
internal sealed class FullDiskStream(Stream inner, long capacity) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > capacity)
        {
            inner.Write(buffer[..(int)capacity]);
            capacity = 0;
            throw new IOException("No space left on device (simulated).");
        }
        inner.Write(buffer);
        capacity -= buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
