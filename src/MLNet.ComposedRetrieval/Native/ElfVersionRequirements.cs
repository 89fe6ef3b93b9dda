using System.Buffers.Binary;
using System.Text;

namespace MLNet.ComposedRetrieval.Native;

/// <summary>
/// Reads and edits the symbol-version tables of a 64-bit little-endian ELF shared library: the versions it
/// requires from other libraries (<c>.gnu.version_r</c>) and the versions a library defines (<c>.gnu.version_d</c>).
/// </summary>
/// <remarks>
/// Only what the GLIBCXX relaxation needs is implemented. The edit rewrites a requirement in place (its hash
/// and name offset) so that the file keeps its size and every other offset.
/// </remarks>
internal sealed class ElfVersionRequirements
{
    private const uint SectionTypeRela = 4;
    private const uint SectionTypeDynSym = 11;
    private const uint SectionTypeVerDef = 0x6FFFFFFD;
    private const uint SectionTypeVerNeed = 0x6FFFFFFE;
    private const uint SectionTypeVerSym = 0x6FFFFFFF;

    private readonly byte[] _bytes;
    private readonly List<Section> _sections;

    private ElfVersionRequirements(byte[] bytes)
    {
        _bytes = bytes;
        _sections = ReadSections(bytes);
    }

    /// <summary>The file's bytes, including any edits made.</summary>
    public byte[] Bytes => _bytes;

    public static ElfVersionRequirements Parse(byte[] bytes) => new(bytes);

    /// <summary>Version names that the library defines (for instance GLIBCXX_3.4.30 in libstdc++.so.6).</summary>
    public IReadOnlySet<string> DefinedVersions()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var verdef = _sections.FirstOrDefault(s => s.Type == SectionTypeVerDef);
        if (verdef is null) return names;
        var strings = _sections[(int)verdef.Link];
        long offset = verdef.Offset;
        while (true)
        {
            ushort count = U16(offset + 6);
            uint auxOffset = U32(offset + 12);
            uint next = U32(offset + 16);
            long aux = offset + auxOffset;
            for (int i = 0; i < count; i++)
            {
                names.Add(CString(strings, U32(aux)));
                uint auxNext = U32(aux + 4);
                if (auxNext == 0) break;
                aux += auxNext;
            }
            if (next == 0) break;
            offset += next;
        }
        return names;
    }

    /// <summary>Every version this library requires, one entry per (needed file, version name).</summary>
    public IReadOnlyList<VersionRequirement> Requirements()
    {
        var result = new List<VersionRequirement>();
        var verneed = _sections.FirstOrDefault(s => s.Type == SectionTypeVerNeed);
        if (verneed is null) return result;
        var strings = _sections[(int)verneed.Link];
        long offset = verneed.Offset;
        while (true)
        {
            ushort count = U16(offset + 2);
            string file = CString(strings, U32(offset + 4));
            uint auxOffset = U32(offset + 8);
            uint next = U32(offset + 12);
            long aux = offset + auxOffset;
            for (int i = 0; i < count; i++)
            {
                ushort index = U16(aux + 6);
                string name = CString(strings, U32(aux + 8));
                result.Add(new VersionRequirement(file, name, (ushort)(index & 0x7FFF), aux));
                uint auxNext = U32(aux + 12);
                if (auxNext == 0) break;
                aux += auxNext;
            }
            if (next == 0) break;
            offset += next;
        }
        return result;
    }

    /// <summary>Names of the dynamic symbols bound to a version index that some relocation refers to.</summary>
    public IReadOnlyList<string> RelocatedSymbolsOfVersion(ushort versionIndex)
    {
        var dynsym = _sections.First(s => s.Type == SectionTypeDynSym);
        var versym = _sections.First(s => s.Type == SectionTypeVerSym);
        var strings = _sections[(int)dynsym.Link];
        var relocated = new HashSet<ulong>();
        foreach (var rela in _sections.Where(s => s.Type == SectionTypeRela && s.Size > 0 && s.Link < _sections.Count
                                                  && _sections[(int)s.Link].Type == SectionTypeDynSym))
        {
            for (long k = 0; k < rela.Size / 24; k++)
                relocated.Add(U64(rela.Offset + k * 24 + 8) >> 32);
        }

        var names = new List<string>();
        long symbolCount = dynsym.Size / 24;
        for (long i = 0; i < symbolCount; i++)
        {
            if ((U16(versym.Offset + 2 * i) & 0x7FFF) != versionIndex || !relocated.Contains((ulong)i)) continue;
            names.Add(CString(strings, U32(dynsym.Offset + i * 24)));
        }
        return names;
    }

    /// <summary>Makes <paramref name="requirement"/> name the same version as <paramref name="replacement"/>
    /// (both from the same needed file), so the dynamic loader no longer asks for the original version.</summary>
    public void Redirect(VersionRequirement requirement, VersionRequirement replacement)
    {
        if (requirement.File != replacement.File)
            throw new ArgumentException("A requirement can only be redirected to a version of the same library.");
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan((int)requirement.EntryOffset), ElfHash(replacement.Version));
        uint nameOffset = U32(replacement.EntryOffset + 8);
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan((int)requirement.EntryOffset + 8), nameOffset);
    }

    /// <summary>The System V ELF hash, which <c>vna_hash</c> must hold for the loader to match a version.</summary>
    internal static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (byte c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            uint g = h & 0xF0000000;
            if (g != 0) h ^= g >> 24;
            h &= ~g;
        }
        return h;
    }

    private static List<Section> ReadSections(byte[] b)
    {
        if (b.Length < 64 || b[0] != 0x7F || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x28));
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A));
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        var sections = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            var header = b.AsSpan((int)shoff + i * shentsize, 64);
            sections.Add(new Section(
                Type: BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                Offset: (long)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
                Size: (long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]),
                Link: BinaryPrimitives.ReadUInt32LittleEndian(header[40..])));
        }
        return sections;
    }

    private string CString(Section strings, uint offset)
    {
        int start = (int)(strings.Offset + offset);
        int end = Array.IndexOf(_bytes, (byte)0, start);
        return Encoding.ASCII.GetString(_bytes, start, end - start);
    }

    private ushort U16(long offset) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)offset));
    private uint U32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)offset));
    private ulong U64(long offset) => BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)offset));

    private sealed record Section(uint Type, long Offset, long Size, uint Link);
}

/// <summary>One <c>Vernaux</c> entry: <paramref name="Version"/> required from <paramref name="File"/>.</summary>
internal sealed record VersionRequirement(string File, string Version, ushort Index, long EntryOffset);
