using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.ComposedRetrieval.Training;

namespace MLNet.ComposedRetrieval.Tests.Pipeline;

public class ChannelProgressTests
{
    [Fact]
    public void EachTenthOfAStageIsAnInfoMessageAndTheRestTrace()
    {
        var ml = new MLContext();
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.Message);
        using (var channel = ((IHostEnvironment)ml).Start("progress"))
        {
            var progress = new ChannelProgress(channel);
            // Batches of 64 over 1781 images: no report lands exactly on a tenth.
            for (int done = 64; done < 1781 + 64; done += 64)
                progress.Report(new WorkProgress("image features", Math.Min(done, 1781), 1781, TimeSpan.FromSeconds(done)));
            progress.Report(new WorkProgress("text features", 5, 10, TimeSpan.Zero));
        }

        var info = messages.Where(m => m.Contains("Kind=Info")).ToList();
        Assert.Equal(11, info.Count);
        Assert.Contains("image features: 192/1781 (11%)", info[0]);
        Assert.Contains("image features: 1781/1781 (100%)", info[9]);
        Assert.Contains("text features: 5/10", info[10]);
        Assert.Equal(28 - 10, messages.Count(m => m.Contains("Kind=Trace") && m.Contains("image features")));
    }
}
