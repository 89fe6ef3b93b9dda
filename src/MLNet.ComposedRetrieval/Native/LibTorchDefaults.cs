using System.Runtime.InteropServices;

namespace MLNet.ComposedRetrieval.Native;

/// <summary>
/// Settings libtorch and its OpenMP runtime read once, when they load, set to this library's defaults unless the
/// user set them: <c>TORCH_CPP_LOG_LEVEL=ERROR</c> (on processors NNPACK does not support, every process otherwise
/// logs "Could not initialize NNPACK! Reason: Unsupported hardware.", which changes nothing: libtorch falls back by
/// itself) and <c>OMP_WAIT_POLICY=PASSIVE</c> (OpenMP's default spin-wait made single queries 10-20 times slower and
/// training about 2.7 times slower whenever another process shared the CPU; see benchmarks/README.md).
/// </summary>
internal static class LibTorchDefaults
{
    public const string LogLevelVariable = "TORCH_CPP_LOG_LEVEL";
    public const string OpenMpWaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>c10's log threshold (0 info, 1 warning, 2 error, 3 fatal), an exported global of libc10.</summary>
    public const string LogLevelSymbol = "FLAGS_caffe2_log_level";

    private const string InitLoggingSymbol = "_ZN3c1011initLoggingEv"; // c10::initLogging(): reads TORCH_CPP_LOG_LEVEL

    /// <summary>Sets the defaults in the process environment; must run before libtorch loads to reach OpenMP.</summary>
    /// <returns>The values in force, for diagnostics.</returns>
    public static string SetEnvironment() =>
        $"{LogLevelVariable}={NativeEnvironment.SetDefault(LogLevelVariable, "ERROR")}, " +
        $"{OpenMpWaitPolicyVariable}={NativeEnvironment.SetDefault(OpenMpWaitPolicyVariable, "PASSIVE")}";

    /// <summary>
    /// Makes libc10 apply <c>TORCH_CPP_LOG_LEVEL</c>: libtorch reads it only when something calls
    /// <c>c10::initLogging</c>, which Python's torch does and TorchSharp does not.
    /// </summary>
    /// <param name="c10">A handle of the loaded libc10.</param>
    public static unsafe bool ApplyLogLevel(IntPtr c10)
    {
        if (!NativeLibrary.TryGetExport(c10, InitLoggingSymbol, out var initLogging)) return false;
        ((delegate* unmanaged<void>)initLogging)();
        return true;
    }
}
