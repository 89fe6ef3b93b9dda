using System.Runtime.InteropServices;

namespace MLNet.ComposedRetrieval.Native;

/// <summary>
/// Environment variables that native libraries (libtorch, OpenMP) read from the C library's environment. On Linux,
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only .NET's own copy, which native code never
/// sees, so a default meant for libtorch must also go through <c>setenv</c>, before libtorch loads.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>
    /// Sets <paramref name="name"/> to <paramref name="value"/> for native code and .NET alike, unless the user already
    /// set it (in either environment).
    /// </summary>
    /// <returns>The value in force afterwards.</returns>
    public static string SetDefault(string name, string value)
    {
        var existing = Get(name);
        if (!string.IsNullOrEmpty(existing)) return existing;
        if (OperatingSystem.IsLinux() && SetEnv(name, value, overwrite: 0) != 0)
            return Get(name) ?? "";
        Environment.SetEnvironmentVariable(name, value);
        return value;
    }

    /// <summary>The value native code sees (the C library's environment on Unix), else .NET's.</summary>
    public static string? Get(string name)
    {
        if (OperatingSystem.IsLinux())
        {
            var pointer = GetEnv(name);
            if (pointer != IntPtr.Zero) return Marshal.PtrToStringUTF8(pointer);
        }
        return Environment.GetEnvironmentVariable(name);
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
