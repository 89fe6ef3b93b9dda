using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Training;

/// <summary>A hash of a module's parameter and buffer names and values: part of a feature cache's key, so features
/// cached for one set of weights (a random small encoder of one seed, say) are never served for another.</summary>
internal static class ModuleFingerprint
{
    public static string Of(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in module.state_dict().OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}:{value.dtype}:{string.Join("x", value.shape)};"));
            using var cpu = value.detach().cpu().contiguous();
            if (cpu.numel() > 0) hash.AppendData(cpu.bytes);
        }
        return Convert.ToHexString(hash.GetHashAndReset(), 0, 12).ToLowerInvariant();
    }
}
