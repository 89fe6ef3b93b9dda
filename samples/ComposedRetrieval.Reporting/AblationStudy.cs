namespace MLNet.ComposedRetrieval.Reporting;

/// <summary>
/// An ablation study as a list of settings, each trained by the main job into its own output folder: which family
/// (e.g. gamma0), which setting of it, which method ran with it and where its results.json is. One setting per family is
/// the default the others are compared with. Read from a tab-separated file with the columns family, setting, method,
/// run folder and an optional "default" marker; '#' starts a comment line.
/// </summary>
public sealed class AblationStudy
{
    private AblationStudy(IReadOnlyList<AblationSetting> settings) => Settings = settings;

    /// <summary>Every setting, in file order (the order of tables, panels and categories).</summary>
    public IReadOnlyList<AblationSetting> Settings { get; }

    /// <summary>The family names, in order of first appearance.</summary>
    public IReadOnlyList<string> Families => Settings.Select(s => s.Family).Distinct().ToList();

    /// <summary>The same study with each setting's method renamed by <paramref name="reportedName"/> (a study file may name
    /// methods as the command line does, a report under its display name).</summary>
    public AblationStudy WithMethodNames(Func<string, string> reportedName) =>
        new(Settings.Select(s => s with { Method = reportedName(s.Method) }).ToList());

    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A line is malformed, or a family has no default or two.</exception>
    public static AblationStudy Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Ablation study file '{path}' does not exist.", path);
        return Parse(File.ReadLines(path), $"'{path}'");
    }

    /// <param name="lines">The file's lines.</param>
    /// <param name="source">Names the file in error messages.</param>
    public static AblationStudy Parse(IEnumerable<string> lines, string source)
    {
        var settings = new List<AblationSetting>();
        int number = 0;
        foreach (var line in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#')) continue;
            var fields = line.Split('\t').Select(f => f.Trim()).ToArray();
            if (fields.Length is < 4 or > 5 || fields.Take(4).Any(string.IsNullOrEmpty))
                throw new InvalidDataException($"{source} line {number}: expected family, setting, method, run folder and an optional 'default', tab-separated.");
            bool isDefault = fields.Length == 5 && fields[4] switch
            {
                "default" => true,
                "" => false,
                _ => throw new InvalidDataException($"{source} line {number}: the fifth field is 'default' or empty, not '{fields[4]}'."),
            };
            settings.Add(new AblationSetting(fields[0], fields[1], fields[2], fields[3], isDefault));
        }
        if (settings.Count == 0) throw new InvalidDataException($"{source} lists no settings.");
        foreach (var family in settings.GroupBy(s => s.Family))
        {
            int defaults = family.Count(s => s.IsDefault);
            if (defaults != 1)
                throw new InvalidDataException($"{source}: family '{family.Key}' has {defaults} settings marked 'default'; it needs exactly one.");
        }
        return new AblationStudy(settings);
    }

    /// <summary>
    /// The trained runs of every setting: those of its method in &lt;<paramref name="runsRoot"/>&gt;/&lt;run folder&gt;/results.json;
    /// none for a folder without results yet (a study fills in as its runs land).
    /// </summary>
    /// <exception cref="InvalidDataException">A results.json exists but is not a readable report.</exception>
    public IReadOnlyList<AblationResult> LoadResults(string runsRoot)
    {
        var reports = new Dictionary<string, ExperimentReport?>(StringComparer.Ordinal);
        ExperimentReport? Report(string folder)
        {
            if (!reports.TryGetValue(folder, out var report))
            {
                var path = Path.Combine(runsRoot, folder, ReportWriter.JsonFile);
                reports[folder] = report = File.Exists(path) ? ExperimentReportJson.Load(path) : null;
            }
            return report;
        }
        return Settings.Select(setting => new AblationResult(setting,
            Report(setting.RunFolder)?.Runs.Where(r => r.Method == setting.Method && r.Seed is not null).ToList() ?? [])).ToList();
    }
}

/// <summary>One setting of an <see cref="AblationStudy"/>.</summary>
/// <param name="Family">What is varied, e.g. "gamma0"; one table and one chart panel per family.</param>
/// <param name="Setting">The value as shown, e.g. "0.5" or "plain".</param>
/// <param name="Method">The method name in the run's results (e.g. <see cref="MethodNames.Uncertainty"/>).</param>
/// <param name="RunFolder">The main job's output folder, relative to the runs root.</param>
/// <param name="IsDefault">The setting the others of its family are compared with.</param>
public sealed record AblationSetting(string Family, string Setting, string Method, string RunFolder, bool IsDefault);

/// <summary>A setting with its trained runs (one per seed; empty while it has not run).</summary>
public sealed record AblationResult(AblationSetting Setting, IReadOnlyList<MethodRun> Runs);
