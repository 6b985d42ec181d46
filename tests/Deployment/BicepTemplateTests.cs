using System.Text.Json.Nodes;

namespace Billing.Tests.Deployment;

/// <summary>azure/main.bicep, its modules and parameter files compile, and the linter (azure/bicepconfig.json) is silent.</summary>
[Collection(BicepCollection.Name)]
public sealed class BicepTemplateTests(BicepFixture bicep)
{
    [Fact]
    public void The_template_builds_without_errors_or_warnings()
    {
        Assert.True(bicep.Build.ExitCode == 0, bicep.Build.ToString());
        Assert.True(string.IsNullOrWhiteSpace(bicep.Build.Errors), bicep.Build.Errors);
    }

    [Fact]
    public async Task The_linter_reports_nothing_on_the_template_and_its_modules()
    {
        var lint = await bicep.Bicep("lint", "main.bicep");

        Assert.True(lint.ExitCode == 0, lint.ToString());
        Assert.True(string.IsNullOrWhiteSpace(lint.Output + lint.Errors), lint.ToString());
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task Each_environment_parameter_file_builds_and_lints_clean(string environment)
    {
        var file = Path.Combine("environments", $"{environment}.bicepparam");

        var build = await bicep.Bicep("build-params", file, "--stdout");
        var lint = await bicep.Bicep("lint", file);

        Assert.True(build.ExitCode == 0 && string.IsNullOrWhiteSpace(build.Errors), build.ToString());
        Assert.True(lint.ExitCode == 0 && string.IsNullOrWhiteSpace(lint.Output + lint.Errors), lint.ToString());
    }

    [Fact]
    public async Task The_linter_configuration_is_in_force()
    {
        // A copy of the repository's bicepconfig.json beside a file with an unused parameter: the lint above would
        // pass vacuously if the configuration were not read or the rules were switched off.
        var folder = Directory.CreateTempSubdirectory("bicep-lint-").FullName;
        try
        {
            File.Copy(Path.Combine(BicepFixture.AzureFolder, "bicepconfig.json"), Path.Combine(folder, "bicepconfig.json"));
            await File.WriteAllTextAsync(Path.Combine(folder, "probe.bicep"), "param unused string\n", TestContext.Current.CancellationToken);

            var lint = await bicep.BicepIn(folder, "lint", "probe.bicep");

            Assert.NotEqual(0, lint.ExitCode);
            Assert.Contains("no-unused-params", lint.Output + lint.Errors);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task Every_environment_runs_at_least_two_silos(string environment)
    {
        var build = await bicep.Bicep("build-params", Path.Combine("environments", $"{environment}.bicepparam"), "--stdout");
        Assert.True(build.ExitCode == 0, build.ToString());
        var parameters = JsonNode.Parse(JsonNode.Parse(build.Output)!["parametersJson"]!.GetValue<string>())!["parameters"]!;

        var declared = parameters["siloMinReplicas"]?["value"]?.GetValue<int>();

        Assert.True(declared >= 2, $"{environment}: siloMinReplicas is {declared?.ToString() ?? "not set"}.");
        Assert.True(ArmTemplate.Module(bicep.Template, "silo")["properties"]!["template"]!["parameters"]!["minReplicas"]!["minValue"]!.GetValue<int>() >= 2);
    }

    [Fact]
    public void The_silo_is_reachable_only_inside_the_environment_and_the_api_from_outside_over_https()
    {
        var silo = ArmTemplate.App(bicep.Template, "silo");
        var api = ArmTemplate.App(bicep.Template, "api");

        Assert.False(silo.Ingress["external"]!.GetValue<bool>());
        Assert.All(silo.Ingress["additionalPortMappings"]!.AsArray(), m => Assert.False(m!["external"]!.GetValue<bool>()));
        Assert.True(api.Ingress["external"]!.GetValue<bool>());
        Assert.False(api.Ingress["allowInsecure"]!.GetValue<bool>());
    }

    [Fact]
    public void A_silo_is_restarted_when_its_health_endpoint_says_it_is_not_live()
    {
        // The silo's /health/live fails when its metering journal stopped for good; a TCP probe of the silo port would
        // keep such a silo running while every decision routed to it fails.
        var silo = ArmTemplate.App(bicep.Template, "silo");
        var liveness = silo.Container["probes"]!.AsArray().Single(p => p!["type"]!.GetValue<string>() == "Liveness")!;

        Assert.Equal("/health/live", liveness["httpGet"]?["path"]?.GetValue<string>());
        Assert.Equal(silo.Ingress["targetPort"]!.GetValue<int>(), liveness["httpGet"]!["port"]!.GetValue<int>());
    }

    [Fact]
    public void Secrets_reach_the_containers_only_from_key_vault_through_the_apps_identity()
    {
        foreach (var app in ArmTemplate.ContainerApps(bicep.Template))
        {
            foreach (var secret in app.Secrets)
            {
                Assert.True(secret["value"] is null, $"{app.ContainerName}: secret '{secret["name"]}' carries a value instead of a Key Vault reference.");
                Assert.NotNull(secret["keyVaultUrl"]);
                Assert.NotNull(secret["identity"]);
            }

            var secretNames = app.Secrets.Select(s => s["name"]!.GetValue<string>()).ToHashSet();
            foreach (var setting in app.Settings.Where(s => s.Name.EndsWith("Secret", StringComparison.OrdinalIgnoreCase) || s.Name.EndsWith("Password", StringComparison.OrdinalIgnoreCase)))
            {
                Assert.True(setting.Value is null && setting.SecretRef is not null && secretNames.Contains(setting.SecretRef),
                    $"{app.ContainerName}: {setting.Name} must be a reference to a Key Vault secret.");
            }
        }
    }
}
