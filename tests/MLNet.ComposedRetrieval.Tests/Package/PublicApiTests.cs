using System.Reflection;
using MLNet.ComposedRetrieval.Modeling;

namespace MLNet.ComposedRetrieval.Tests.Package;

/// <summary>
/// The package's public API is the checked-in list (Package/PublicApi.txt): every exported type and its public and
/// protected members, read from the compiled assembly (what <c>dotnet pack</c> ships). A change of the surface fails
/// here until the list is updated on purpose: run with <c>MLNET_CR_UPDATE_PUBLIC_API=1</c> to rewrite it, then review
/// the diff (and the package README's list).
/// </summary>
public class PublicApiTests
{
    private const string ListPath = "tests/MLNet.ComposedRetrieval.Tests/Package/PublicApi.txt";
    private const string UpdateVariable = "MLNET_CR_UPDATE_PUBLIC_API";

    [Fact]
    public void ThePublicApiIsTheListedOne()
    {
        var actual = Describe(typeof(ComposeImageTextTransformer).Assembly);
        var path = RepositoryFiles.PathOf(ListPath);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1") File.WriteAllLines(path, actual);
        var expected = File.ReadAllLines(path);

        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"The public API differs from {ListPath} ({UpdateVariable}=1 rewrites it):" + Environment.NewLine +
            string.Join(Environment.NewLine, added.Select(l => "+ " + l).Concat(removed.Select(l => "- " + l))));
    }

    [Fact]
    public void TheListNamesPublicMembersAndLeavesInternalsOut()
    {
        var lines = Describe(typeof(ComposeImageTextTransformer).Assembly);
        Assert.Contains(lines, l => l.StartsWith("class MLNet.ComposedRetrieval.ComposeImageTextTransformer", StringComparison.Ordinal));
        Assert.Contains("  method MLNet.ComposedRetrieval.GallerySearchEngine MLNet.ComposedRetrieval.ComposeImageTextTransformer.CreateSearchEngine(MLNet.ComposedRetrieval.IGalleryStore)", lines);
        Assert.DoesNotContain(lines, l => l.Contains(nameof(ComposedRetrievalNetwork), StringComparison.Ordinal));
    }

    /// <summary>Only the tests see internals: the samples and the benchmarks use the package as an app would.</summary>
    [Fact]
    public void OnlyTheTestsSeeInternals()
    {
        var friends = typeof(ComposeImageTextTransformer).Assembly.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName).ToList();
        Assert.Equal(["MLNet.ComposedRetrieval.Tests"], friends);
    }

    /// <summary>The package README's "Public API" section names every exported type.</summary>
    [Fact]
    public void ThePackageReadmeListsEveryPublicType()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("src/MLNet.ComposedRetrieval/README.md"));
        var start = readme.IndexOf("## Public API", StringComparison.Ordinal);
        Assert.True(start >= 0, "The package README has no \"## Public API\" section.");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        var missing = typeof(ComposeImageTextTransformer).Assembly.GetExportedTypes()
            .Select(t => t.Name).Where(name => !section.Contains($"`{name}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "The package README's public API list lacks: " + string.Join(", ", missing));
    }

    /// <summary>One line per exported type (kind, name, base types) followed by one line per public or protected member.</summary>
    internal static List<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var bases = new List<Type>();
            if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) bases.Add(b);
            if (!type.IsEnum) bases.AddRange(type.GetInterfaces().OrderBy(i => Name(i), StringComparer.Ordinal));
            lines.Add($"{Kind(type)} {Name(type)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases.Select(Name)) : ""));
            const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            lines.AddRange(type.GetMembers(declared).Where(IsVisible).Select(Member).Where(m => m is not null).Select(m => "  " + m!)
                .Distinct().OrderBy(m => m, StringComparer.Ordinal));
        }
        return lines;
    }

    private static string Kind(Type type) =>
        type.IsInterface ? "interface" : type.IsEnum ? "enum" : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : type.IsAbstract && type.IsSealed ? "static class"
        : type.GetMethod("<Clone>$") is not null ? "record" : "class";

    private static bool IsVisible(MemberInfo member) => member switch
    {
        MethodBase m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.Name.StartsWith('<'),
        FieldInfo f => (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(IsVisible),
        EventInfo e => e.AddMethod is { } add && IsVisible(add),
        Type t => t.IsNestedPublic || t.IsNestedFamily || t.IsNestedFamORAssem,
        _ => false,
    };

    private static string? Member(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor {Name(c.DeclaringType!)}({Parameters(c)})",
        MethodInfo m when m.IsSpecialName && (m.Name.StartsWith("get_", StringComparison.Ordinal) || m.Name.StartsWith("set_", StringComparison.Ordinal)
                                              || m.Name.StartsWith("add_", StringComparison.Ordinal) || m.Name.StartsWith("remove_", StringComparison.Ordinal)) => null,
        MethodInfo m => $"method {(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {Name(m.DeclaringType!)}.{m.Name}" +
                         (m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : "") + $"({Parameters(m)})",
        PropertyInfo p => $"property {Name(p.PropertyType)} {Name(p.DeclaringType!)}.{p.Name}" +
                           (p.GetIndexParameters() is { Length: > 0 } index ? "[" + string.Join(", ", index.Select(i => Name(i.ParameterType))) + "]" : "") +
                           " {" + (p.GetMethod is { } g && IsVisible(g) ? " get;" : "") + (p.SetMethod is { } s && IsVisible(s) ? (IsInitOnly(s) ? " init;" : " set;") : "") + " }",
        FieldInfo f => $"field {(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {Name(f.DeclaringType!)}.{f.Name}" +
                       (f.IsLiteral && !f.DeclaringType!.IsEnum ? $" = {f.GetRawConstantValue()}" : f.DeclaringType!.IsEnum ? $" = {Convert.ToInt64(f.GetRawConstantValue())}" : ""),
        EventInfo e => $"event {Name(e.EventHandlerType!)} {Name(e.DeclaringType!)}.{e.Name}",
        Type => null, // nested types are listed as types of their own
        _ => null,
    };

    private static bool IsInitOnly(MethodInfo setter) =>
        setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p =>
        (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "") + Name(p.ParameterType) + (p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")));

    private static string Name(Type type)
    {
        if (type.IsByRef) return Name(type.GetElementType()!);
        if (type.IsArray) return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsGenericParameter) return type.Name;
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Name(underlying) + "?";
        var name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : type.Namespace + "." + type.Name;
        if (!type.IsGenericType) return name;
        var tick = name.IndexOf('`');
        var arguments = type.GetGenericArguments();
        if (type.IsNested && type.DeclaringType!.IsGenericType) arguments = arguments[type.DeclaringType.GetGenericArguments().Length..];
        return (tick >= 0 ? name[..tick] : name) + (arguments.Length > 0 ? "<" + string.Join(", ", arguments.Select(Name)) + ">" : "");
    }
}
