using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/MLNet.ComposedRetrieval.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
