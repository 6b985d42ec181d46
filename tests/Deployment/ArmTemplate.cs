using System.Text.Json.Nodes;

namespace Billing.Tests.Deployment;

/// <summary>One environment variable of a container as the compiled template declares it.</summary>
public sealed record ContainerSetting(string Name, string? Value, string? SecretRef);

/// <summary>A container app of the compiled template, keyed by its (single) container's name.</summary>
public sealed record ContainerApp(string ContainerName, JsonObject Properties)
{
    public JsonObject Container => Properties["template"]!["containers"]!.AsArray().Single()!.AsObject();

    public JsonObject Ingress => Properties["configuration"]!["ingress"]!.AsObject();

    public IReadOnlyList<ContainerSetting> Settings => Container["env"]!.AsArray()
        .Select(e => new ContainerSetting(e!["name"]!.GetValue<string>(), e["value"]?.ToString(), e["secretRef"]?.GetValue<string>()))
        .ToList();

    public IReadOnlyList<JsonObject> Secrets => Properties["configuration"]!["secrets"]?.AsArray().Select(s => s!.AsObject()).ToList() ?? [];
}

/// <summary>Reads the ARM JSON that <c>bicep build</c> makes of main.bicep and its modules (nested deployments).</summary>
public static class ArmTemplate
{
    public static IReadOnlyList<ContainerApp> ContainerApps(JsonNode template) =>
        Resources(template)
            .Where(r => r["type"]?.GetValue<string>() == "Microsoft.App/containerApps" && r["existing"] is null)
            .Select(r => new ContainerApp(
                r["properties"]!["template"]!["containers"]!.AsArray().Single()!["name"]!.GetValue<string>(),
                r["properties"]!.AsObject()))
            .ToList();

    public static ContainerApp App(JsonNode template, string containerName) =>
        Assert.Single(ContainerApps(template), a => a.ContainerName == containerName);

    /// <summary>The nested deployment (module) named <paramref name="name"/>.</summary>
    public static JsonObject Module(JsonNode template, string name) =>
        Assert.Single(Resources(template), r => r["type"]?.GetValue<string>() == "Microsoft.Resources/deployments" && r["name"]?.GetValue<string>() == name);

    /// <summary>
    /// Every resource at any depth. Templates list resources as an array, or (language version 2, with user-defined
    /// types) as an object keyed by symbolic name.
    /// </summary>
    public static IEnumerable<JsonObject> Resources(JsonNode template)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject map => map.Select(p => p.Value!.AsObject()),
            _ => [],
        };
        foreach (var resource in resources)
        {
            yield return resource;
            if (resource["properties"]?["template"] is JsonObject nested && resource["type"]?.GetValue<string>() == "Microsoft.Resources/deployments")
            {
                foreach (var inner in Resources(nested))
                    yield return inner;
            }
        }
    }
}
