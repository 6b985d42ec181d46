using System.Collections;
using System.Reflection;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Billing.Tests.Deployment;

/// <summary>
/// The configuration keys a process reads, derived from its code rather than listed by hand: every options class in the
/// process's own assemblies (the host and the Billing assemblies it references) declares its section in a
/// <c>public const string Section</c>, and each settable property below it is a key. Collections and dictionaries take
/// any key below them (<c>Notifications:RetryDelays:0</c>). A process that references the JWT bearer handler also
/// reads ASP.NET Core's <c>Authentication:Schemes:Bearer</c> section.
/// </summary>
public sealed class ReadableSettings
{
    private readonly HashSet<string> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _prefixes = new(StringComparer.OrdinalIgnoreCase);

    private ReadableSettings(Assembly host)
    {
        var assemblies = BillingAssemblies(host).ToList();
        OptionsTypes = assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true, FieldType: var f } && f == typeof(string))
            .ToList();
        foreach (var type in OptionsTypes)
            AddProperties((string)type.GetField("Section")!.GetRawConstantValue()!, type, depth: 0);

        if (assemblies.SelectMany(a => a.GetReferencedAssemblies()).Any(r => r.Name == typeof(JwtBearerOptions).Assembly.GetName().Name))
        {
            // ASP.NET Core binds the scheme's section onto JwtBearerOptions and the token validation parameters.
            AddProperties($"Authentication:Schemes:{JwtBearerDefaults.AuthenticationScheme}", typeof(JwtBearerOptions), depth: 0);
            AddProperties($"Authentication:Schemes:{JwtBearerDefaults.AuthenticationScheme}", typeof(TokenValidationParameters), depth: 0);
        }
    }

    public static ReadableSettings Silo { get; } = new(typeof(Billing.Silo.Hosting.BillingSiloExtensions).Assembly);

    public static ReadableSettings Api { get; } = new(typeof(Billing.Api.Hosting.BillingApiExtensions).Assembly);

    public IReadOnlyList<Type> OptionsTypes { get; }

    public bool Reads(string key) =>
        _keys.Contains(key) || _prefixes.Any(p => key.StartsWith(p + ":", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<Assembly> BillingAssemblies(Assembly host)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<Assembly>([host]);
        while (pending.TryPop(out var assembly))
        {
            if (!seen.Add(assembly.GetName().Name!))
                continue;
            yield return assembly;
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("Billing.", StringComparison.Ordinal)))
                pending.Push(Assembly.Load(reference));
        }
    }

    private void AddProperties(string prefix, Type type, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsLeaf(propertyType))
            {
                if (property.SetMethod is { IsPublic: true })
                    _keys.Add(key);
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                _prefixes.Add(key);
            }
            else if (propertyType.IsClass && depth < 4)
            {
                AddProperties(key, propertyType, depth + 1);
            }
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);
}
