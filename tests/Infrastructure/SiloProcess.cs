using System.Diagnostics;
using System.Globalization;
using Billing.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Billing.Tests.Infrastructure;

/// <summary>
/// One real silo process: the built <c>Billing.Silo.dll</c> (its own Program, hosting and configuration), joined to a
/// cluster on the test run's Azurite. Unlike an in-process test silo it can die the way production silos die: SIGKILL
/// leaves no chance to leave the cluster, flush a buffer or finish a storage write.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 200;

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly Lock _outputGate = new();

    private SiloProcess(Process process, SiloProcessOptions options)
    {
        _process = process;
        Options = options;
    }

    public SiloProcessOptions Options { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The silo's web endpoint (dashboard, <c>/health/live</c>, <c>/health/ready</c>).</summary>
    public Uri HttpAddress => new($"http://127.0.0.1:{Options.HttpPort}");

    /// <summary>The process's last lines of output, for a failing test's message.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_outputGate)
                return string.Join(Environment.NewLine, _output);
        }
    }

    /// <summary>
    /// Starts a silo of <paramref name="options"/>' cluster and returns once it answers <c>/health/ready</c> (it has
    /// joined the cluster), or throws with its output if it exits first or is not ready within the options' bound.
    /// </summary>
    public static async Task<SiloProcess> StartAsync(AzuriteFixture azurite, SiloProcessOptions options, CancellationToken cancellationToken = default)
    {
        var silo = Launch(azurite, options);
        try
        {
            await silo.WaitUntilReadyAsync(cancellationToken);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the process without waiting for it to be ready (a test of start-up refusals reads its exit).</summary>
    public static SiloProcess Launch(AzuriteFixture azurite, SiloProcessOptions options)
    {
        var siloDirectory = BuiltSiloDirectory();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = siloDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(siloDirectory, "Billing.Silo.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = options.Environment;
        start.Environment["DOTNET_ENVIRONMENT"] = options.Environment;
        // Settings go on the command line: the highest-precedence configuration source, above appsettings files and
        // any variable the test runner's own environment happens to carry.
        foreach (var (key, value) in options.Settings(azurite))
            start.ArgumentList.Add($"--{key}={value}");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, options);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200; a process that exits meanwhile fails at once.</summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new InvalidOperationException($"Silo process exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{RecentOutput}");
            try
            {
                using var response = await http.GetAsync("/health/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // A start-up stall answers nothing for a while; the deadline below bounds it.
            }

            if (deadline.Elapsed > Options.ReadyTimeout)
                throw new TimeoutException($"Silo process not ready after {Options.ReadyTimeout}:{Environment.NewLine}{RecentOutput}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Waits for the process to exit on its own (e.g. a start-up refusal) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the silo dies with no graceful shutdown, exactly as on a machine failure.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM, as a container platform stops a replica: the silo leaves the cluster gracefully (deactivating its grains,
    /// writing their state) and exits. Killed if it has not exited within <paramref name="timeout"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
            return;
        using (var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            await signal.WaitForExitAsync();
        using var bound = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(40));
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"Silo process {_process.Id} ignored SIGTERM for {timeout}:{Environment.NewLine}{RecentOutput}");
        }
    }

    /// <summary>
    /// An Orleans client of the same cluster, configured the way adapters and the API are
    /// (<see cref="BillingClusterClientExtensions.AddBillingClusterClient"/>). Dispose the host to disconnect.
    /// </summary>
    public static async Task<IHost> StartClientAsync(AzuriteFixture azurite, string clusterId, string serviceId, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = serviceId,
        });
        builder.AddBillingClusterClient();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_outputGate)
        {
            _output.Enqueue(line);
            while (_output.Count > OutputLinesKept)
                _output.Dequeue();
        }
    }

    /// <summary>The silo's own build output (next to its appsettings.json), in the configuration the tests were built in.</summary>
    private static string BuiltSiloDirectory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var directory = Path.Combine(RepositoryRoot.Path, "silo", "bin", configuration, framework);
        return File.Exists(Path.Combine(directory, "Billing.Silo.dll"))
            ? directory
            : throw new InvalidOperationException($"No built silo at {directory}: build the solution first.");
    }

}

/// <summary>What one silo process is started with. Ports are fresh free loopback ports unless given.</summary>
public sealed record SiloProcessOptions(string ClusterId, string ServiceId)
{
    public int SiloPort { get; init; } = FreePort.Next();

    public int GatewayPort { get; init; } = FreePort.Next();

    public int HttpPort { get; init; } = FreePort.Next();

    /// <summary>The hosting environment. Local development runs as Development; production guards apply outside it.</summary>
    public string Environment { get; init; } = "Development";

    /// <summary>Further settings (<c>Section:Key</c> to value), applied over the cluster's.</summary>
    public IReadOnlyDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public IEnumerable<KeyValuePair<string, string?>> Settings(AzuriteFixture azurite)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ServiceId,
            ["Orleans:SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Orleans:AdvertisedIP"] = "127.0.0.1",
            ["Urls"] = $"http://127.0.0.1:{HttpPort}",
            ["Notifications:PickupDirectory"] = Path.Combine(Path.GetTempPath(), "billing-test-mail", ServiceId),
        };
        foreach (var (key, value) in Extra)
            settings[key] = value;
        return settings;
    }
}
