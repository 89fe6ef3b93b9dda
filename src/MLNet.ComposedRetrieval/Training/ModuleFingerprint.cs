using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>A short hash of a module's parameter and buffer names, shapes and values: feature caches key on it,
/// so features computed with other weights are never reused.</summary>
internal static class ModuleFingerprint
{
    public static string Of(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, value) in module.state_dict().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}:{value.dtype}:{string.Join("x", value.shape)};"));
            var cpu = value.detach().cpu().contiguous();
            if (cpu.dtype == ScalarType.Float32) hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
            else hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(cpu.to(ScalarType.Float64).data<double>().ToArray().AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
