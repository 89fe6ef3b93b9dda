using BenchmarkDotNet.Running;
using MLNet.ComposedRetrieval.Benchmarks.Harness;

// Throughput harness (tables against the machine's measured limits):
//   dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- harness [sections] [--options]
// BenchmarkDotNet micro-benchmarks:
//   dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- --filter '*'
if (args.Length > 0 && args[0] == "harness") return HarnessCommand.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
