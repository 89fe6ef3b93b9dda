using Microsoft.ML;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval;

/// <summary>
/// Picks the libtorch device from <see cref="MLContext.GpuDeviceId"/> and <see cref="MLContext.FallbackToCpu"/> the way
/// Microsoft.ML.TorchSharp does: no GPU id means CPU; a GPU id means that CUDA device when CUDA is available, else CPU
/// with a warning if falling back is allowed, else an error.
/// </summary>
internal static class TorchDevice
{
    public static Device Select(ComponentEnvironment environment, IChannel? channel)
    {
        var gpu = environment.GpuDeviceId;
        if (gpu is null) return CPU;
        if (cuda.is_available()) return new Device(DeviceType.CUDA, gpu.Value);
        if (environment.FallbackToCpu)
        {
            channel?.Warning(MessageSensitivity.None,
                $"MLContext.GpuDeviceId is {gpu} but CUDA is not available to TorchSharp; running on the CPU (MLContext.FallbackToCpu is true).");
            return CPU;
        }
        throw new InvalidOperationException(
            $"MLContext.GpuDeviceId is {gpu} but CUDA is not available to TorchSharp (this build uses the " +
            "TorchSharp-cpu backend; build with -p:TorchSharpBackend=TorchSharp-cuda-linux on a feed that serves it). " +
            "Set MLContext.FallbackToCpu = true to run on the CPU instead.");
    }
}
