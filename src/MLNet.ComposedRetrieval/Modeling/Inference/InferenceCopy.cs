using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling.Inference;

/// <summary>
/// Copies of modules whose inference form is the module itself in evaluation mode (the small encoders, the image
/// head): same architecture, their own copy of every parameter and buffer, so the source can be trained or disposed
/// afterwards. The copy runs the very same operations, so its outputs equal the source's in evaluation mode bit for bit.
/// </summary>
internal static class InferenceCopy
{
    /// <summary>A module made by <paramref name="create"/> (the source's architecture), holding a copy of
    /// <paramref name="source"/>'s state on its device and of its floating-point type, without gradients, in evaluation mode.</summary>
    public static T Of<T>(T source, Func<T> create) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(source);
        var copy = create();
        try
        {
            var reference = source.parameters().FirstOrDefault();
            if (reference is not null)
            {
                copy.to(reference.device);
                if (reference.dtype != ScalarType.Float32) copy.to(reference.dtype);
            }
            using (no_grad())
                copy.load_state_dict(source.state_dict());
            foreach (var parameter in copy.parameters()) parameter.requires_grad = false;
            copy.eval();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
