using System.Globalization;
using Billing.Tests.Infrastructure;
using Billing.Tests.Notifications;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Billing.Tests.Simulation;

/// <summary>
/// The simulated deployment: real silo processes (the built silo) whose storage is reached through a
/// <see cref="StorageFaultProxy"/>, a real SMTP server on loopback for the outbox, and an Orleans client the way
/// adapters and the API join (it reads membership from Azurite directly). Silos can be killed and replaced mid-run.
/// </summary>
public sealed class SimulationCluster : IAsyncDisposable
{
    private readonly AzuriteFixture _azurite;
    private readonly SiloProcess?[] _silos;
    private IHost? _client;

    private SimulationCluster(AzuriteFixture azurite, StorageFaultProxy proxy, SmtpTestServer smtp, int silos)
    {
        _azurite = azurite;
        Proxy = proxy;
        Smtp = smtp;
        _silos = new SiloProcess?[silos];
        var id = Guid.NewGuid().ToString("N")[..12];
        (ClusterId, ServiceId) = ("sim-" + id, "svc-sim-" + id);
    }

    public string ClusterId { get; }

    public string ServiceId { get; }

    public StorageFaultProxy Proxy { get; }

    public SmtpTestServer Smtp { get; }

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    public int SiloCount => _silos.Length;

    public int Restarts { get; private set; }

    public static async Task<SimulationCluster> StartAsync(AzuriteFixture azurite, int silos, CancellationToken cancellationToken)
    {
        var proxy = await StorageFaultProxy.StartAsync(azurite);
        var smtp = await SmtpTestServer.StartAsync();
        var cluster = new SimulationCluster(azurite, proxy, smtp, silos);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, silos).Select(i => cluster.StartSiloAsync(i, cancellationToken)));
            cluster._client = await SiloProcess.StartClientAsync(azurite, cluster.ClusterId, cluster.ServiceId, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills silo <paramref name="index"/> (SIGKILL, or SIGTERM when <paramref name="graceful"/>) and starts a replacement.</summary>
    public async Task RestartSiloAsync(int index, bool graceful, CancellationToken cancellationToken)
    {
        var silo = _silos[index];
        if (silo is not null)
        {
            if (graceful)
            {
                try
                {
                    await silo.StopAsync(TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException)
                {
                    // Killed by StopAsync after the bound: the run goes on, as a platform's stop would.
                }
            }
            else
            {
                await silo.KillAsync();
            }

            await silo.DisposeAsync();
            _silos[index] = null;
        }

        await StartSiloAsync(index, cancellationToken);
        Restarts++;
    }

    /// <summary>
    /// Before a seed: every silo slot holds a running silo. A replacement that could not start in its run (a starved
    /// machine) is started again here, so one bad restart does not fail every later seed.
    /// </summary>
    public async Task EnsureAllRunningAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _silos.Length; i++)
        {
            if (_silos[i] is { HasExited: false })
                continue;
            if (_silos[i] is { } dead)
                await dead.DisposeAsync();
            _silos[i] = null;
            await StartSiloAsync(i, cancellationToken);
        }
    }

    /// <summary>The last lines of every live silo's output, for a failing run's message.</summary>
    public string RecentOutput() => string.Join(
        Environment.NewLine,
        _silos.Select((s, i) => s is null ? $"--- silo {i}: down" : $"--- silo {i} (pid {s.ProcessId}){Environment.NewLine}{string.Join(Environment.NewLine, s.RecentOutput.Split(Environment.NewLine).TakeLast(40))}"));

    private async Task StartSiloAsync(int index, CancellationToken cancellationToken)
    {
        var options = new SiloProcessOptions(ClusterId, ServiceId)
        {
            Extra = new Dictionary<string, string?>
            {
                ["Storage:ConnectionString"] = Proxy.ConnectionString,
                ["Notifications:Smtp:Host"] = "127.0.0.1",
                ["Notifications:Smtp:Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
                ["Notifications:Smtp:Security"] = "None",
                // Faults make the outbox retry; short back-off keeps a run's emails within its settling time.
                ["Notifications:RetryDelays:0"] = "00:00:01",
                ["Notifications:RetryDelays:1"] = "00:00:02",
                ["Notifications:RetryDelays:2"] = "00:00:04",
                ["Logging:LogLevel:Default"] = "Warning",
            },
        };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _silos[index] = await SiloProcess.StartAsync(_azurite, options with { SiloPort = FreePort.Next(), GatewayPort = FreePort.Next(), HttpPort = FreePort.Next() }, cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < 3 && e is TimeoutException or InvalidOperationException)
            {
                // A start that timed out on a starved machine (or lost a port race) is tried again on fresh ports.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }

        await Task.WhenAll(_silos.Where(s => s is not null).Select(s => s!.DisposeAsync().AsTask()));
        await Smtp.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}
