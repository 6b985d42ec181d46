using System.Diagnostics;
using System.Text.Json;

namespace Billing.Tests.Deployment;

/// <summary>The outcome of one command line: exit code and both output streams.</summary>
public sealed record ToolResult(string Command, int ExitCode, string Output, string Errors)
{
    public override string ToString() => $"{Command} exited with {ExitCode}\n{Output}\n{Errors}";
}

/// <summary>Runs the command-line tools the deployment is built with: the .NET SDK's MSBuild and the Bicep CLI.</summary>
public static class Tool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>The <c>dotnet</c> that runs this test (the SDK sets DOTNET_HOST_PATH for its children).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static async Task<ToolResult> Run(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        using var cancel = new CancellationTokenSource(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var errors = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} ran longer than {Timeout}.");
        }

        return new ToolResult($"{fileName} {string.Join(' ', start.ArgumentList)}", process.ExitCode, await output, await errors);
    }

    /// <summary>
    /// Evaluates MSBuild properties of a project as the SDK sees them (<c>dotnet msbuild -getProperty</c>), after running
    /// <paramref name="target"/> when given (container settings such as the base image are computed by a target).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> MsBuildProperties(string project, IEnumerable<string> properties, string? target = null)
    {
        var arguments = new List<string> { "msbuild", project, "-nologo" };
        if (target is not null)
            arguments.Add($"-target:{target}");
        var names = properties.ToList();
        arguments.AddRange(names.Select(p => $"-getProperty:{p}"));
        var result = await Run(Dotnet, arguments, Infrastructure.RepositoryRoot.Path);
        Assert.True(result.ExitCode == 0, result.ToString());
        if (names.Count == 1)
            return new Dictionary<string, string> { [names[0]] = result.Output.Trim() };
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }

    /// <summary>The identities of one item type of a project (<c>dotnet msbuild -getItem</c>).</summary>
    public static async Task<IReadOnlyList<string>> MsBuildItems(string project, string itemType)
    {
        var result = await Run(Dotnet, ["msbuild", project, "-nologo", $"-getItem:{itemType}"], Infrastructure.RepositoryRoot.Path);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("Items").GetProperty(itemType).EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString() ?? "").ToList();
    }
}
