using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json.Nodes;
using MLNet.ComposedRetrieval.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MLNet.ComposedRetrieval.Tests.Experiment;

/// <summary>
/// The same seed gives the same run in every process: the main job, run twice as separate processes on the same data
/// and feature cache, trains to the same losses and the same model weights (only the measured durations differ).
/// </summary>
public sealed class RepeatabilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("repeatability-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [SkippableFact]
    public void TwoProcessesWithTheSameSeedTrainTheSameModel()
    {
        var data = SharedData.Require("datasets/fashion-product-images");
        var first = Run(data, "first");
        var second = Run(data, "second");

        Assert.Equal(Losses(first), Losses(second));
        var (firstManifest, firstTensors) = ReadModel(first);
        var (secondManifest, secondTensors) = ReadModel(second);
        Assert.True(firstTensors.AsSpan().SequenceEqual(secondTensors), "the two processes saved different weights");
        Assert.Equal(WithoutDurations(firstManifest), WithoutDurations(secondManifest));
    }

    /// <summary>Runs the experiment's command line in a process of its own; returns its output folder.</summary>
    private string Run(string data, string name)
    {
        var outputFolder = Path.Combine(_folder, name);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "ComposedRetrievalExperiment.dll"),
                     "--data", data, "--output", outputFolder, "--cache", Path.Combine(_folder, "cache"),
                     "--max-train-triplets", "64", "--max-queries", "16", "--max-gallery", "32", "--epochs", "2",
                     "--triplets-per-epoch", "0", "--batch-size", "16", "--seeds", "7", "--methods", "uncertainty", "--grid-queries", "1",
                 })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var log = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"the {name} run did not finish in 5 minutes");
        output.WriteLine(log + errors.Result);
        Assert.True(process.ExitCode == 0, $"the {name} run failed ({process.ExitCode}): {errors.Result}");
        return outputFolder;
    }

    private static List<double> Losses(string outputFolder)
    {
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(outputFolder, "results.json")))!;
        var history = report["runs"]!.AsArray().Single(r => (int?)r!["seed"] == 7)!["history"]!.AsArray();
        return history.SelectMany(e => new[] { (double)e!["loss"]!, (double)e["infoNceLoss"]!, (double)e["sigma"]! }).ToList();
    }

    /// <summary>The model file's manifest (JSON) and tensor bytes (see ModelFile's layout).</summary>
    private static (string Manifest, byte[] Tensors) ReadModel(string outputFolder)
    {
        var bytes = File.ReadAllBytes(Path.Combine(outputFolder, "models", "uncertainty-seed7.mlcr"));
        var manifestLength = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        return (System.Text.Encoding.UTF8.GetString(bytes, 20, manifestLength), bytes[(20 + manifestLength)..^32]);
    }

    private static string WithoutDurations(string manifest)
    {
        var json = JsonNode.Parse(manifest)!;
        foreach (var epoch in json["TrainingHistory"]!.AsArray()) epoch!.AsObject().Remove("Duration");
        return json.ToJsonString();
    }
}
