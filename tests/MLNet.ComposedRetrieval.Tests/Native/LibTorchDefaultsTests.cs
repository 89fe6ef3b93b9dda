using System.Runtime.InteropServices;
using MLNet.ComposedRetrieval.Native;

namespace MLNet.ComposedRetrieval.Tests.Native;

public class LibTorchDefaultsTests
{
    [Fact]
    public void ADefaultReachesNativeCodeAndNeverOverridesTheUsersValue()
    {
        var name = "MLNET_CR_TEST_" + Guid.NewGuid().ToString("N");
        Assert.Equal("first", NativeEnvironment.SetDefault(name, "first"));
        Assert.Equal("first", NativeEnvironment.SetDefault(name, "second"));
        Assert.Equal("first", Environment.GetEnvironmentVariable(name));
        if (OperatingSystem.IsLinux())
            Assert.Equal("first", Marshal.PtrToStringUTF8(GetEnv(name)));
    }

    /// <summary>libtorch logs errors only (no NNPACK "Unsupported hardware" warning per process) unless the user asked for
    /// another level, and OpenMP's wait policy is set before libtorch loaded.</summary>
    [SkippableFact]
    public void LibTorchRunsWithTheLibrarysLogLevelAndWaitPolicy()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "libc10's log flag is read through Linux's loader here");
        TorchSharpRuntime.EnsureLoaded();
        var level = NativeEnvironment.Get(LibTorchDefaults.LogLevelVariable);
        Assert.False(string.IsNullOrEmpty(NativeEnvironment.Get(LibTorchDefaults.OpenMpWaitPolicyVariable)));
        var expected = level?.ToUpperInvariant() switch { "INFO" or "0" => 0, "WARNING" or "1" => 1, "ERROR" or "2" => 2, _ => 3 };

        var c10 = NativeLibrary.Load(TorchSharpRuntime.FindNativeFile("libc10.so")!);
        Assert.Equal(expected, Marshal.ReadInt32(NativeLibrary.GetExport(c10, LibTorchDefaults.LogLevelSymbol)));
        Assert.DoesNotContain("log level not applied", TorchSharpRuntime.Status);
    }

    [DllImport("libc.so.6", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);
}
