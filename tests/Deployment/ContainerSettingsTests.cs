using Microsoft.AspNetCore.Hosting;

namespace Billing.Tests.Deployment;

/// <summary>
/// Every setting the deployment gives a container is one its process reads: a misspelt or stale name would be ignored
/// silently and the process would run on its local default (sandbox payments, Azurite, loopback addresses).
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class ContainerSettingsTests(BicepFixture bicep)
{
    /// <summary>
    /// Variables read by the platform and its libraries rather than bound to our options classes.
    /// </summary>
    private static readonly Dictionary<string, string> PlatformVariables = new(StringComparer.OrdinalIgnoreCase)
    {
        [WebHostDefaults.ServerUrlsKey] = "ASP.NET Core: the addresses Kestrel listens on",
        ["AZURE_CLIENT_ID"] = "Azure.Identity: which user-assigned managed identity DefaultAzureCredential uses",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "Azure Monitor OpenTelemetry exporter: where telemetry goes",
        ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "ASP.NET Core: honour X-Forwarded-For/Proto from the ingress",
    };

    public static TheoryData<string> Containers => new() { "silo", "api" };

    [Theory]
    [MemberData(nameof(Containers))]
    public void Every_setting_passed_to_a_container_is_one_its_process_reads(string container)
    {
        var readable = Readable(container);
        var settings = ArmTemplate.App(bicep.Template, container).Settings;
        Assert.NotEmpty(settings);

        var unknown = settings
            .Where(s => s.Name.Contains("__", StringComparison.Ordinal))
            .Select(s => s.Name.Replace("__", ":", StringComparison.Ordinal))
            .Where(key => !readable.Reads(key))
            .ToList();
        var unknownPlatform = settings
            .Where(s => !s.Name.Contains("__", StringComparison.Ordinal) && !PlatformVariables.ContainsKey(s.Name))
            .Select(s => s.Name)
            .ToList();

        Assert.True(unknown.Count == 0, $"{container} reads no setting named {string.Join(", ", unknown)} (options classes: {string.Join(", ", readable.OptionsTypes.Select(t => t.Name))}).");
        Assert.True(unknownPlatform.Count == 0, $"{container}: {string.Join(", ", unknownPlatform)} is read by nothing known.");
    }

    [Fact]
    public void The_check_recognises_real_settings_and_refuses_misspelt_ones()
    {
        Assert.True(ReadableSettings.Silo.Reads("Orleans:ClusterId"));
        Assert.True(ReadableSettings.Silo.Reads("Notifications:Smtp:Password"));
        Assert.True(ReadableSettings.Silo.Reads("Notifications:RetryDelays:0"));
        Assert.True(ReadableSettings.Silo.Reads("Payments:Gateway"));
        Assert.True(ReadableSettings.Api.Reads("Payments:Webhook:Secret"));
        Assert.True(ReadableSettings.Api.Reads("Authentication:Schemes:Bearer:ValidAudiences:0"));
        Assert.False(ReadableSettings.Silo.Reads("Orleans:ClusterID2"));
        Assert.False(ReadableSettings.Silo.Reads("Notifications:Smtp:Passwd"));
        // The API hosts no grains: the silo's email and payment settings mean nothing to it.
        Assert.False(ReadableSettings.Api.Reads("Notifications:Smtp:Host"));
        Assert.False(ReadableSettings.Api.Reads("Payments:Gateway"));
    }

    [Fact]
    public void The_silo_gets_its_cluster_identity_storage_payment_gateway_and_email()
    {
        var names = ArmTemplate.App(bicep.Template, "silo").Settings.Select(s => s.Name).ToHashSet();

        Assert.Subset(names, new HashSet<string>
        {
            "AZURE_CLIENT_ID", "Storage__TableServiceUri", "Orleans__ClusterId", "Orleans__ServiceId", "Orleans__SiloPort",
            "Orleans__GatewayPort", "Orleans__AdvertisedIP", "Payments__Gateway", "Notifications__Smtp__Host",
            "Notifications__Smtp__Username", "Notifications__Smtp__Password", "Notifications__FromAddress",
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
        });
    }

    [Fact]
    public void The_api_gets_its_cluster_storage_webhook_secret_and_token_issuer()
    {
        var names = ArmTemplate.App(bicep.Template, "api").Settings.Select(s => s.Name).ToHashSet();

        Assert.Subset(names, new HashSet<string>
        {
            "AZURE_CLIENT_ID", "Storage__TableServiceUri", "Orleans__ClusterId", "Orleans__ServiceId",
            "Payments__Webhook__Secret", "Authentication__Schemes__Bearer__Authority",
            "Authentication__Schemes__Bearer__ValidIssuer", "APPLICATIONINSIGHTS_CONNECTION_STRING",
        });
    }

    private static ReadableSettings Readable(string container) => container == "silo" ? ReadableSettings.Silo : ReadableSettings.Api;
}
