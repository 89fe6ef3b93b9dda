using static TorchSharp.torch;

namespace MLNet.ComposedRetrieval.Modeling;

/// <summary>
/// Shared mechanics of freezing an encoder (see <see cref="ImageBackbone.Freeze"/> and
/// <see cref="TextEncoder.Freeze"/>): a frozen encoder is a fixed function, so its parameters stop asking for
/// gradients and its BatchNorm/Dropout layers stay in evaluation mode even when a parent calls <c>train()</c>.
/// </summary>
internal static class ModuleFreezing
{
    /// <summary>Turns off gradients of every parameter of <paramref name="module"/> and puts it in eval mode.</summary>
    public static void Freeze(nn.Module module)
    {
        foreach (var parameter in module.parameters())
            parameter.requires_grad = false;
        module.eval();
    }

    /// <summary>The mode a module should take when asked for <paramref name="requested"/>: never training once frozen.</summary>
    // Why: with cached features (the frozen-backbone mode) BatchNorm must keep its running statistics, or the
    // cached maps and the live ones would come from different functions.
    public static bool EffectiveTrainingMode(bool requested, bool isFrozen) => requested && !isFrozen;
}
