using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// What a component needs from its <see cref="MLContext"/>: the host environment (logging goes through its channels to
/// <see cref="MLContext.Log"/>, as ML.NET's own components do) and the device settings
/// <see cref="MLContext.GpuDeviceId"/> / <see cref="MLContext.FallbackToCpu"/>, read when used, so a change made after a
/// pipeline is built still counts (as in Microsoft.ML.TorchSharp).
/// </summary>
/// <remarks>
/// ML.NET's catalogs hold their environment in an internal member, and its device settings live on an internal
/// interface: a third-party catalog extension can only reach them by reflection. That is done here and nowhere else;
/// if a future ML.NET moves them, the error says to use the public constructors that take an <see cref="MLContext"/>.
/// </remarks>
internal sealed class ComponentEnvironment
{
    private const string CatalogInterface = "Microsoft.ML.Data.IInternalCatalog";
    private readonly object _settings;

    private ComponentEnvironment(IHostEnvironment host, object settings)
    {
        Host = host;
        _settings = settings;
    }

    /// <summary>The environment ML.NET components log through.</summary>
    public IHostEnvironment Host { get; }

    /// <summary><see cref="MLContext.GpuDeviceId"/>, read now.</summary>
    public int? GpuDeviceId => _settings is MLContext ml ? ml.GpuDeviceId : (int?)ReadSetting(nameof(MLContext.GpuDeviceId));

    /// <summary><see cref="MLContext.FallbackToCpu"/>, read now.</summary>
    public bool FallbackToCpu => _settings is MLContext ml ? ml.FallbackToCpu : (bool)(ReadSetting(nameof(MLContext.FallbackToCpu)) ?? false);

    /// <summary>The environment of <paramref name="mlContext"/> (public API only).</summary>
    public static ComponentEnvironment From(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new ComponentEnvironment(mlContext, mlContext);
    }

    /// <summary>The environment behind one of <see cref="MLContext"/>'s catalogs (<c>mlContext.Transforms</c>,
    /// <c>mlContext.Ranking</c>, <c>mlContext.Model</c>, ...).</summary>
    /// <exception cref="NotSupportedException">This ML.NET version hides the environment differently.</exception>
    public static ComponentEnvironment FromCatalog(object catalog, string alternative)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var catalogInterface = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == CatalogInterface);
        var environment = catalogInterface?.GetProperty("Environment")?.GetValue(catalog) as IHostEnvironment;
        if (environment is null || environment.GetType().GetProperty(nameof(MLContext.GpuDeviceId)) is null)
            throw new NotSupportedException(
                $"This version of ML.NET ({typeof(MLContext).Assembly.GetName().Version}) does not expose the environment of " +
                $"{catalog.GetType().Name} the way MLNet.ComposedRetrieval expects. Use {alternative} instead.");
        return new ComponentEnvironment(environment, environment);
    }

    /// <summary>A registered host for one component; its <see cref="IHost.Rand"/> follows the MLContext's seed.</summary>
    public IHost Register(string componentName) => Host.Register(componentName);

    private object? ReadSetting(string name) =>
        _settings.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(_settings);
}
