using System.Diagnostics;

namespace MLNet.ComposedRetrieval.Tests.Storage;

/// <summary>
/// Makes a file or folder unwritable until disposed. File modes do not stop root (the tests run as root in CI), so as
/// root the path is made immutable with <c>chattr +i</c>, which stops root too; otherwise its write bits are removed.
/// </summary>
internal sealed class ReadOnlyPath : IDisposable
{
    private readonly string _path;
    private readonly UnixFileMode _mode;
    private readonly bool _immutable;

    private ReadOnlyPath(string path, UnixFileMode mode, bool immutable) => (_path, _mode, _immutable) = (path, mode, immutable);

    /// <summary>Protects <paramref name="path"/>, or returns null with the reason it cannot be done on this host.</summary>
    public static ReadOnlyPath? TryProtect(string path, out string reason)
    {
        reason = "";
        if (OperatingSystem.IsWindows())
        {
            reason = "Windows has neither Unix file modes nor chattr";
            return null;
        }
        var mode = File.GetUnixFileMode(path);
        if (!Environment.IsPrivilegedProcess)
        {
            File.SetUnixFileMode(path, mode & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
            return new ReadOnlyPath(path, mode, immutable: false);
        }
        var (ok, output) = Chattr("+i", path);
        if (ok) return new ReadOnlyPath(path, mode, immutable: true);
        reason = $"running as root, where only an immutable attribute stops writes, and 'chattr +i' failed here ({output.Trim()})";
        return null;
    }

    public void Dispose()
    {
        if (_immutable) Chattr("-i", _path);
        else if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_path, _mode);
    }

    private static (bool Ok, string Output) Chattr(string change, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [change, path])
            {
                RedirectStandardError = true, RedirectStandardOutput = true,
            })!;
            string output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode == 0, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (false, e.Message);
        }
    }
}
