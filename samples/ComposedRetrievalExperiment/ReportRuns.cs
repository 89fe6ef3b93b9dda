using MLNet.ComposedRetrieval.Reporting;
using MLNet.ComposedRetrieval.Retrieval;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Experiment;

/// <summary>
/// Turns the experiment's own results into the report's runs. The reporting project sees only the package's public
/// API, while the experiment still scores through the package's internal <see cref="RecallAtKResult"/> (percentages),
/// so the conversion lives here; it goes once the experiment evaluates through the public API
/// (<see cref="MethodRun.FromMetrics"/>).
/// </summary>
internal static class ReportRuns
{
    extension(MethodRun)
    {
        /// <summary>A run that was only scored (zero-shot, or a saved model evaluated).</summary>
        public static MethodRun FromEvaluation(string method, int? seed, RecallAtKResult recall)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(method);
            ArgumentNullException.ThrowIfNull(recall);
            var byK = new SortedDictionary<int, double>();
            for (int i = 0; i < recall.Ks.Count; i++) byK[recall.Ks[i]] = recall.Recalls[i];
            return new MethodRun(method, seed, byK, recall.QueryCount, recall.GallerySize);
        }

        /// <summary>A trained run: its history and best epoch from <paramref name="training"/>, its recall from <paramref name="recall"/>.</summary>
        public static MethodRun FromTraining(string method, int seed, TrainingResult training, RecallAtKResult recall, TimeSpan trainTime,
            string? modelPath = null)
        {
            ArgumentNullException.ThrowIfNull(training);
            return MethodRun.FromEvaluation(method, seed, recall) with
            {
                History = training.History.ToArray(),
                BestEpoch = training.BestEpoch,
                TrainTime = trainTime,
                ModelPath = modelPath,
            };
        }
    }
}
