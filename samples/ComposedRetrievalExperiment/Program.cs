using MLNet.ComposedRetrieval.Experiment;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); Console.Error.WriteLine("Stopping after the current step; checkpoints are kept."); };
return CommandLine.Run(args, Console.Out, Console.Error, cancel.Token);
