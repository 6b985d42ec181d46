using System.Diagnostics;
using Billing.Tests.Infrastructure;
using MimeKit;

namespace Billing.Tests.Notifications;

/// <summary>
/// A real SMTP server on a free loopback port: Debian's python3-aiosmtpd running <c>tests/Notifications/smtp_sink.py</c>
/// as a child process, which stores every message it accepts as a file. It can be stopped and started again on the
/// same port, so a test can take the mail server down and bring it back.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(RepositoryRoot.Path, "tests", "Notifications", "smtp_sink.py");
    private Process? _process;

    private SmtpTestServer(int port, string directory)
    {
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    public string Directory { get; }

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<SmtpTestServer> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "billing-smtp-" + Guid.NewGuid().ToString("N"));
        for (var attempt = 1; ; attempt++)
        {
            var server = new SmtpTestServer(FreePort.Next(), directory);
            try
            {
                await server.StartAgainAsync();
                return server;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                // Another process took the port between FreePort and the bind: take another.
            }
        }
    }

    /// <summary>Starts the server (again) on its port; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
            return;
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(Directory);
        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        _process = process;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != "ready")
        {
            var error = await process.StandardError.ReadToEndAsync(CancellationToken.None);
            await StopAsync();
            throw new InvalidOperationException($"The SMTP test server did not start on port {Port} (is python3-aiosmtpd installed? .ci/run installs it): {error}");
        }
    }

    /// <summary>Takes the server down: connections to its port are refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
            return;
        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    /// <summary>Every message accepted so far, parsed back with MimeKit, with its envelope recipients.</summary>
    public IReadOnlyList<(MimeMessage Message, IReadOnlyList<string> Recipients)> Messages()
    {
        if (!System.IO.Directory.Exists(Directory))
            return [];
        return [.. System.IO.Directory.GetFiles(Directory, "*.eml").Order(StringComparer.Ordinal).Select(path =>
        {
            var rcpt = File.ReadAllLines(Path.ChangeExtension(path, ".rcpt"));
            return (MimeMessage.Load(path), (IReadOnlyList<string>)rcpt);
        })];
    }

    /// <summary>The messages whose <c>X-Billing-Event-Id</c> is <paramref name="eventId"/>.</summary>
    public IReadOnlyList<MimeMessage> MessagesOf(string eventId) =>
        [.. Messages().Select(m => m.Message).Where(m => m.Headers[Billing.Notifications.OutboxMail.EventIdHeader] == eventId)];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
