using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MLNet.ComposedRetrieval.Tests.Infrastructure;

namespace MLNet.ComposedRetrieval.Tests.Retrieval.PgVector;

/// <summary>
/// A PostgreSQL + pgvector server for the store's tests: the one named by <c>MLNET_CR_PGVECTOR_CONNECTION</c> (a
/// connection string), or else PGlite from <c>tests/pglite</c> (<c>npm ci</c> there) started on a free loopback port
/// with its data in a temporary folder, so that it can be killed and restarted with its data. Tests call
/// <see cref="Require"/>: without Node.js or the installed packages they skip with the reason, or fail where
/// <c>MLNET_CR_REQUIRE_SHARED_DATA=1</c> (CI). The server exits with this process (tests/pglite/serve.mjs).
/// </summary>
public sealed class PgVectorServer : IDisposable
{
    public const string ConnectionVariable = "MLNET_CR_PGVECTOR_CONNECTION";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly object _gate = new();
    private readonly string? _unavailable;
    private readonly string? _script;
    private readonly string? _dataFolder;
    private Process? _process;
    private int _port;

    public PgVectorServer()
    {
        var external = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            ConnectionString = external;
            IsExternal = true;
            return;
        }
        var root = RepositoryRoot();
        var folder = root is null ? null : Path.Combine(root, "tests", "pglite");
        _script = folder is null ? null : Path.Combine(folder, "serve.mjs");
        if (folder is null || !Directory.Exists(Path.Combine(folder, "node_modules", "@electric-sql", "pglite-socket")))
            _unavailable = "needs PGlite installed in tests/pglite (run `npm ci` there; .ci/run does) or a PostgreSQL + pgvector " +
                           $"connection string in {ConnectionVariable}";
        else if (FindOnPath("node") is null)
            _unavailable = $"needs Node.js (`node` on PATH) to serve PGlite, or a PostgreSQL + pgvector connection string in {ConnectionVariable}";
        if (_unavailable is not null) return;
        _dataFolder = Directory.CreateTempSubdirectory("mlcr-pglite-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        Start();
    }

    /// <summary>The connection string of the running server.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>True when the server is the one of <see cref="ConnectionVariable"/> (it cannot be killed here).</summary>
    public bool IsExternal { get; }

    /// <summary>"127.0.0.1:port" of the PGlite server.</summary>
    public string Endpoint => $"127.0.0.1:{_port}";

    /// <summary>Skips (or, in CI, fails) the calling test when no server is available.</summary>
    public void Require()
    {
        if (_unavailable is null) return;
        if (Environment.GetEnvironmentVariable(SharedData.RequireVariable) == "1")
            throw new InvalidOperationException($"{_unavailable}; {SharedData.RequireVariable}=1 turns this skip into a failure.");
        Skip.If(true, _unavailable);
    }

    /// <summary>Skips the calling test against an external server, which these tests must not kill.</summary>
    public void RequireOwnServer()
    {
        Require();
        Skip.If(IsExternal, $"kills and restarts the server, which it does only to the PGlite it started, not to {ConnectionVariable}'s");
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        lock (_gate)
        {
            if (_process is null) return;
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again on the same port with the same data.</summary>
    public void Restart()
    {
        Kill();
        Start();
    }

    public void Dispose()
    {
        Stop();
        if (_dataFolder is not null)
        {
            try { Directory.Delete(_dataFolder, recursive: true); }
            catch (IOException) { }
        }
    }

    private void Start()
    {
        lock (_gate)
        {
            if (_port == 0) _port = FreePort();
            var info = new ProcessStartInfo("node")
            {
                WorkingDirectory = Path.GetDirectoryName(_script)!,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { _script!, "-p", _port.ToString(), "-h", "127.0.0.1", "-d", _dataFolder!,
                         "-e", "@electric-sql/pglite-pgvector:vector", "-m", "4" })
                info.ArgumentList.Add(argument);
            var output = new System.Text.StringBuilder();
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (output) output.AppendLine(e.Data);
                if (e.Data.Contains("listening", StringComparison.OrdinalIgnoreCase)) listening.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (output) output.AppendLine(e.Data);
            };
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("PGlite exited while starting."));
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            if (!listening.Task.Wait(StartTimeout) || listening.Task.IsFaulted)
            {
                Kill();
                string log;
                lock (output) log = output.ToString();
                throw new InvalidOperationException($"PGlite did not start listening on {Endpoint} within {StartTimeout.TotalSeconds} s. Its output:\n{log}");
            }
            ConnectionString = $"Host=127.0.0.1;Port={_port};Username=postgres;Password=postgres;Database=postgres;" +
                               "Timeout=10;Command Timeout=60";
        }
    }

    private void Stop()
    {
        lock (_gate)
        {
            if (_process is null) return;
            try
            {
                // Closing its standard input ends it (serve.mjs); kill it if it lingers.
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
            _process = null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.ComposedRetrieval.sln"))) return dir.FullName;
        return null;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
