using System.Diagnostics;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Operations;

/// <summary>
/// The real processes, as a deployment starts them (ASPNETCORE_ENVIRONMENT=Production), refuse development settings:
/// they exit with an error naming the setting instead of running on sandbox money, Azurite or local tokens.
/// </summary>
public sealed class StartupRefusalTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_production_silo_on_the_sandbox_gateway_exits_naming_Payments_AllowSandbox()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        // Payments:Gateway is not given: the sandbox is its default, which is exactly the forgotten setting to catch.
        await using var silo = SiloProcess.Launch(azurite, new SiloProcessOptions("guard-" + id, "svc-guard-" + id) { Environment = "Production" });
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(ExitBound);

        var exitCode = await silo.WaitForExitAsync(bound.Token);

        Assert.NotEqual(0, exitCode);
        var output = await OutputAfterExit(() => silo.RecentOutput, "Payments:AllowSandbox");
        Assert.Contains("silo refuses to start in the 'Production' environment", output, StringComparison.Ordinal);
        Assert.Contains("Payments:AllowSandbox", output, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", output, StringComparison.Ordinal); // Azurite is named too
    }

    [Fact]
    public async Task A_production_api_with_local_tokens_and_no_webhook_secret_exits_naming_each_setting()
    {
        // appsettings.json names the dotnet-user-jwts issuer; nothing gives Payments:Webhook:Secret.
        var (exitCode, output) = await RunApiToExit("Production", [$"--Storage:ConnectionString={azurite.ConnectionString}", "--Urls=http://127.0.0.1:0"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("API refuses to start in the 'Production' environment", output, StringComparison.Ordinal);
        Assert.Contains("Authentication:Schemes:Bearer:ValidIssuer", output, StringComparison.Ordinal);
        Assert.Contains("Payments:Webhook:Secret", output, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString", output, StringComparison.Ordinal);
    }

    /// <summary>The output reader may deliver the last lines just after the exit: wait for the expected text, bounded.</summary>
    private static async Task<string> OutputAfterExit(Func<string> output, string expected)
    {
        for (var i = 0; i < 50 && !output().Contains(expected, StringComparison.Ordinal); i++)
            await Task.Delay(100, TestContext.Current.CancellationToken);
        return output();
    }

    /// <summary>Starts the built API (its own Program and appsettings) and waits for it to exit on its own.</summary>
    private static async Task<(int ExitCode, string Output)> RunApiToExit(string environment, IEnumerable<string> arguments)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var directory = Path.Combine(RepositoryRoot.Path, "api", "bin", testOutput.Parent!.Name, testOutput.Name);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "Billing.Api.dll"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["DOTNET_ENVIRONMENT"] = environment;

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(ExitBound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
