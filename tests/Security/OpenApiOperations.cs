using System.Text.Json;
using System.Text.Json.Nodes;

namespace Billing.Tests.Security;

/// <summary>One operation of the API's OpenAPI document, with what the security suites need to call it.</summary>
public sealed record ApiOperation(
    HttpMethod Method,
    string PathTemplate,
    IReadOnlyList<string> PathParameters,
    IReadOnlyList<string> QueryParameters,
    JsonElement? BodySchema,
    IReadOnlyList<string>? DeclaredAccess,
    IReadOnlyList<string> Policies)
{
    public bool TakesAnId => PathParameters.Count > 0;

    public bool IsOperatorOnly => Policies.Contains("Operator");

    /// <summary>
    /// The roles admitted: as declared (<c>x-billing-access</c>), or for an endpoint that declares nothing, the
    /// conservative default: reads for every member, writes for the Workspace Owner, Admins and the App Owner.
    /// </summary>
    public IReadOnlyList<string> Access => DeclaredAccess ?? (Method == HttpMethod.Get ? ["Owner", "Admin", "Member"] : ["Owner", "Admin", "AppOwner"]);

    /// <summary>The path with <paramref name="values"/> filled in; a parameter the suite has no value for gets an id nobody has.</summary>
    public string Path(IReadOnlyDictionary<string, string> values) =>
        PathParameters.Aggregate(PathTemplate, (path, name) => path.Replace(
            "{" + name + "}", Uri.EscapeDataString(values.TryGetValue(name, out var value) ? value : "zz_" + Guid.NewGuid().ToString("N")), StringComparison.Ordinal));

    public override string ToString() => $"{Method} {PathTemplate}";
}

/// <summary>Reads <c>/openapi/v1.json</c> into operations and makes request bodies from their schemas.</summary>
public sealed class OpenApiDocument(JsonElement document)
{
    public IReadOnlyList<ApiOperation> Operations { get; } = Read(document);

    private static List<ApiOperation> Read(JsonElement document)
    {
        var operations = new List<ApiOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                var parameters = op.Value.TryGetProperty("parameters", out var p) ? p.EnumerateArray().ToList() : [];
                JsonElement? body = op.Value.TryGetProperty("requestBody", out var rb) && rb.GetProperty("content").TryGetProperty("application/json", out var json)
                    ? json.GetProperty("schema") : null;
                operations.Add(new ApiOperation(
                    new HttpMethod(op.Name.ToUpperInvariant()),
                    path.Name,
                    [.. parameters.Where(x => x.GetProperty("in").GetString() == "path").Select(x => x.GetProperty("name").GetString()!)],
                    [.. parameters.Where(x => x.GetProperty("in").GetString() == "query").Select(x => x.GetProperty("name").GetString()!)],
                    body,
                    op.Value.TryGetProperty("x-billing-access", out var access) ? [.. access.EnumerateArray().Select(a => a.GetString()!)] : null,
                    op.Value.TryGetProperty("x-billing-policy", out var policy) ? [.. policy.EnumerateArray().Select(a => a.GetString()!)] : []));
            }
        }
        return operations;
    }

    /// <summary>Follows <c>$ref</c> and picks the non-null branch of a nullable <c>oneOf</c>/<c>anyOf</c>.</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        while (true)
        {
            if (schema.TryGetProperty("$ref", out var reference))
                schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!["#/components/schemas/".Length..]);
            else if ((schema.TryGetProperty("oneOf", out var choices) || schema.TryGetProperty("anyOf", out choices))
                     && choices.EnumerateArray().FirstOrDefault(c => !IsNullSchema(c)) is { ValueKind: JsonValueKind.Object } choice)
                schema = choice;
            else
                return schema;
        }
    }

    /// <summary>The JSON types a schema allows, without null (<c>type</c> may be a string or an array in OpenAPI 3.1).</summary>
    public static IReadOnlyList<string> Types(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
        : [.. type.EnumerateArray().Select(t => t.GetString()!).Where(t => t != "null")];

    /// <summary>A plausible valid value for <paramref name="schema"/>: the suite's calls fail on authorization, not on binding.</summary>
    public JsonNode? Sample(JsonElement schema, string propertyName, Func<string, string?> knownValue)
    {
        schema = Resolve(schema);
        if (schema.TryGetProperty("enum", out var values))
            return JsonValue.Create(values.EnumerateArray().First(v => v.ValueKind == JsonValueKind.String).GetString());
        var types = Types(schema);
        if (types.Contains("object") || schema.TryGetProperty("properties", out _))
        {
            var obj = new JsonObject();
            if (schema.TryGetProperty("properties", out var properties))
                foreach (var property in properties.EnumerateObject())
                    obj[property.Name] = Sample(property.Value, property.Name, knownValue);
            return obj;
        }
        if (types.Contains("array"))
            return new JsonArray(schema.TryGetProperty("items", out var items) ? Sample(items, propertyName, knownValue) : JsonValue.Create("x"));
        if (types.Contains("integer") || types.Contains("number"))
            return JsonValue.Create(schema.TryGetProperty("minimum", out var min) ? Math.Max(min.GetDecimal(), 100m) : 100m);
        if (types.Contains("boolean"))
            return JsonValue.Create(true);
        if (knownValue(propertyName) is { } known)
            return JsonValue.Create(known);
        var minLength = schema.TryGetProperty("minLength", out var ml) ? ml.GetInt32() : 1;
        return JsonValue.Create("Sample " + new string('x', Math.Max(0, minLength - 7)));
    }

    /// <summary>The declared properties of a body schema (empty when it is not an object).</summary>
    public IReadOnlyList<(string Name, JsonElement Schema)> Properties(JsonElement bodySchema)
    {
        var schema = Resolve(bodySchema);
        return schema.TryGetProperty("properties", out var properties) ? [.. properties.EnumerateObject().Select(p => (p.Name, p.Value))] : [];
    }

    private static bool IsNullSchema(JsonElement schema) =>
        schema.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null";
}
