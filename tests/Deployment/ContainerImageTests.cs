namespace Billing.Tests.Deployment;

/// <summary>
/// The silo and the API publish as OCI images with the .NET SDK's container support (no Dockerfile). No registry is
/// reachable here, so the images cannot be built; their settings are evaluated by MSBuild and held against what the
/// Bicep deploys: the same repositories, a chiseled or distroless base, and every port the deployment routes to.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class ContainerImageTests(BicepFixture bicep)
{
    public static TheoryData<string, string, string> Images => new()
    {
        { "silo", "silo/Billing.Silo.csproj", "siloRepository" },
        { "api", "api/Billing.Api.csproj", "apiRepository" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_project_publishes_the_image_the_deployment_runs(string container, string project, string bicepVariable)
    {
        var settings = await Tool.MsBuildProperties(project, ["ContainerRepository", "ContainerBaseImage"], target: "ComputeContainerConfig");
        var deployedRepository = bicep.Template["variables"]![bicepVariable]!.GetValue<string>();
        var deployedImage = ArmTemplate.Module(bicep.Template, container)["properties"]!["parameters"]!["image"]!["value"]!.GetValue<string>();

        Assert.Equal(deployedRepository, settings["ContainerRepository"]);
        Assert.Contains($"variables('{bicepVariable}')", deployedImage, StringComparison.Ordinal);
        Assert.True(settings["ContainerBaseImage"].Contains("chiseled", StringComparison.Ordinal) || settings["ContainerBaseImage"].Contains("distroless", StringComparison.Ordinal),
            $"{project}: base image {settings["ContainerBaseImage"]} is neither chiseled nor distroless.");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public async Task The_image_exposes_every_port_the_deployment_routes_to(string container, string project, string bicepVariable)
    {
        _ = bicepVariable;
        var exposed = (await Tool.MsBuildItems(project, "ContainerPort")).Select(int.Parse).ToHashSet();
        var app = ArmTemplate.App(bicep.Template, container);
        var routed = new HashSet<int> { app.Ingress["targetPort"]!.GetValue<int>() };
        if (container == "silo")
        {
            // Silo-to-silo and gateway ports are parameters of the silo module, set by main.bicep.
            var parameters = ArmTemplate.Module(bicep.Template, "silo")["properties"]!["parameters"]!;
            routed.Add(parameters["siloPort"]!["value"]!.GetValue<int>());
            routed.Add(parameters["gatewayPort"]!["value"]!.GetValue<int>());
        }

        Assert.Subset(exposed, routed);
    }
}
