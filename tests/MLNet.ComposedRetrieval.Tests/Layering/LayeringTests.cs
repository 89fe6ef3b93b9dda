using System.Reflection;
using System.Reflection.Emit;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Layering;

/// <summary>
/// The package's layers depend one way (docs/architecture.md): MLNet -> Training / Retrieval / Data -> Modeling /
/// Pretrained -> Storage, Contracts -> Native. Read from the compiled assembly's type references (signatures, fields, base types and every
/// method body's IL), not from <c>using</c> lines, so a fully qualified name or a <c>var</c> cannot hide an arrow.
/// </summary>
public class LayeringTests
{
    private const string Root = "MLNet.ComposedRetrieval";

    /// <summary>For each layer, the layers it may use besides itself. The root namespace is the ML.NET component (MLNet/).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Native"] = [],
        ["Contracts"] = ["Native"],
        ["Storage"] = ["Native"],
        ["Modeling"] = ["Contracts", "Native"],
        ["Pretrained"] = ["Modeling", "Contracts", "Native"],
        ["Data"] = ["Modeling", "Storage", "Contracts", "Native"],
        ["Retrieval"] = ["Data", "Modeling", "Storage", "Contracts", "Native"],
        ["Training"] = ["Data", "Retrieval", "Modeling", "Pretrained", "Storage", "Contracts", "Native"],
        ["MLNet"] = ["Training", "Retrieval", "Data", "Modeling", "Pretrained", "Storage", "Contracts", "Native"],
    };

    /// <summary>
    /// The public contracts (src/.../Contracts/): records, enums and interfaces an app uses, in the root namespace like
    /// the ML.NET component, but at the bottom: every layer may use them and they use Native at most. A root-namespace
    /// type not listed here is the ML.NET component (MLNet/).
    /// </summary>
    private static readonly HashSet<Type> Contracts =
    [
        typeof(EpochRecord), typeof(WorkProgress), typeof(GalleryIngestProgress), typeof(GalleryItem), typeof(GalleryPrecision), typeof(GalleryRanking),
        typeof(GalleryStoreException), typeof(GalleryStoreFailure), typeof(GalleryStoreQuery), typeof(GalleryStoreRetryPolicy),
        typeof(IGalleryStore), typeof(NativeFastPaths), typeof(PgVectorStorage),
    ];

    [Fact]
    public void NoLayerUsesOneAboveIt()
    {
        var violations = Violations(typeof(ComposedRetrievalNetwork).Assembly);
        Assert.True(violations.Count == 0, "Dependencies that run back up:" + Environment.NewLine + string.Join(Environment.NewLine, violations));
    }

    /// <summary>The check itself finds an arrow back up: this test assembly's own type, placed (by namespace) in
    /// Modeling's shoes, referring to the ML.NET component.</summary>
    [Fact]
    public void TheCheckSeesAReferenceInAMethodBody()
    {
        var found = References(typeof(Probe)).Select(t => t.FullName).ToList();
        Assert.Contains(typeof(ComposeImageTextEstimator.Options).FullName, found);
    }

    /// <summary>A contract that used the ML.NET component would be an arrow back up: the check sees one.</summary>
    [Fact]
    public void AContractUsingTheComponentIsAViolation()
    {
        Assert.Equal("Contracts", LayerOf(typeof(GalleryPrecision)));
        Assert.Equal("Contracts", LayerOf(typeof(NativeFastPaths)));
        Assert.Equal("MLNet", LayerOf(typeof(ComposeImageTextTransformer)));
        Assert.False(Allowed["Contracts"].Contains("MLNet"));
    }

    private static class Probe
    {
        public static object Make() => new ComposeImageTextEstimator.Options();
    }

    internal static List<string> Violations(Assembly assembly)
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var from = LayerOf(type);
            if (from is null) continue;
            foreach (var target in References(type))
            {
                if (target.Assembly != assembly) continue;
                var to = LayerOf(target);
                if (to is null || to == from) continue;
                if (!Allowed.TryGetValue(from, out var allowed))
                    violations.Add($"{from} is a layer this test does not know: add it to the table (and to docs/architecture.md)");
                else if (!allowed.Contains(to))
                    violations.Add($"{from} -> {to}: {Name(type)} uses {Name(target)}");
            }
        }
        return violations.ToList();
    }

    /// <summary>The layer of a type of this package: the namespace segment after the root; for the root itself,
    /// Contracts for the listed contracts (and the types nested in them), else MLNet.</summary>
    private static string? LayerOf(Type type)
    {
        var ns = type.Namespace;
        if (ns is null || !(ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal))) return null;
        if (ns != Root) return ns[(Root.Length + 1)..].Split('.')[0];
        var outer = type;
        while (outer.DeclaringType is { } declaring) outer = declaring;
        return Contracts.Contains(outer) ? "Contracts" : "MLNet";
    }

    private static string Name(Type type) => type.FullName ?? type.Name;

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every type <paramref name="type"/> refers to: base type, interfaces, generic arguments, fields, properties,
    /// events, method and constructor signatures, attributes' types, and the tokens in method bodies.</summary>
    internal static IEnumerable<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments()) Add(argument);
                t = t.GetGenericTypeDefinition();
            }
            if (!t.IsGenericParameter) found.Add(t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var attribute in type.CustomAttributes) Add(attribute.AttributeType);
        foreach (var field in type.GetFields(Everything)) Add(field.FieldType);
        foreach (var property in type.GetProperties(Everything)) Add(property.PropertyType);
        foreach (var evt in type.GetEvents(Everything)) Add(evt.EventHandlerType);
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info) Add(info.ReturnType);
            foreach (var parameter in method.GetParameters()) Add(parameter.ParameterType);
            foreach (var member in BodyReferences(method)) Add(member);
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The types behind every type, method and field token of a method body.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var module = method.Module;
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var opCode = OpCodesByValue[value];
            at += opCode.Size;
            int operand = opCode.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                _ => 4,
            };
            if (opCode.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                MemberInfo? member = null;
                try { member = module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments); }
                catch (ArgumentException) { }
                if (member is Type t) yield return t;
                else if (member?.DeclaringType is { } declaring) yield return declaring;
                if (member is MethodInfo called) yield return called.ReturnType;
                if (member is FieldInfo field) yield return field.FieldType;
            }
            at += operand;
        }
    }
}
