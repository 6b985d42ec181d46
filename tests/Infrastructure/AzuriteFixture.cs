using System.Diagnostics;
using Azure.Data.Tables;

[assembly: AssemblyFixture(typeof(Billing.Tests.Infrastructure.AzuriteFixture))]

namespace Billing.Tests.Infrastructure;

/// <summary>
/// One in-memory Azurite table service for the whole test run, on a free loopback port, stopped at the end.
/// Tests isolate themselves by table name (<see cref="UniqueTableName"/>) or grain key, never by a fresh emulator.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private Process? _process;

    public string ConnectionString { get; private set; } = "";

    public TableServiceClient ServiceClient => new(ConnectionString);

    public async ValueTask InitializeAsync()
    {
        var executable = Path.Combine(RepositoryRoot.Path, "node_modules", ".bin", "azurite-table");
        if (!File.Exists(executable))
            throw new InvalidOperationException($"Azurite is not installed at {executable}: run `npm ci` at the repository root (./test.sh does).");

        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreePort.Next();
            try
            {
                _process = Start(executable, port);
                ConnectionString = AzuriteConnectionString.For(port);
                await WaitUntilReadyAsync(_process);
                return;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                last = e;
                Stop();
            }
        }

        throw new InvalidOperationException("Azurite did not start on any of 5 free ports.", last);
    }

    private static Process Start(string executable, int port)
    {
        var info = new ProcessStartInfo(executable)
        {
            ArgumentList = { "--inMemoryPersistence", "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--disableTelemetry", "--skipApiVersionCheck", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync(Process process)
    {
        var client = new TableServiceClient(ConnectionString);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode}.");
            try
            {
                await client.GetPropertiesAsync();
                return;
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or AggregateException)
            {
                // Polling a child process's readiness, not waiting for time: the loop ends as soon as it answers.
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("Azurite did not answer within 30 s.");
    }

    /// <summary>A table name no other test uses (letters and digits, starting with a letter, at most 63 chars).</summary>
    public static string UniqueTableName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 32)];

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5_000);
        }

        _process?.Dispose();
        _process = null;
    }
}
