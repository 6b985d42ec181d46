using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SmtpServerHost = SmtpServer.SmtpServer;

namespace Billing.Tests.Notifications;

/// <summary>
/// A real SMTP server on a loopback port, in the test process (the <c>SmtpServer</c> library): it keeps every message
/// it accepts, with its envelope recipients. It can be taken down and brought back on the same port, so a test can
/// see the outbox wait for the mail server, and it can refuse messages to an address with any SMTP reply, so a test
/// can see a permanent (5xx) or temporary (4xx) refusal handled.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<(byte[] Raw, string[] Recipients)> _received = new();
    private readonly ConcurrentDictionary<string, SmtpResponse> _refusals = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private volatile ReplyHold? _hold;
    private SmtpServerHost? _server;
    private CancellationTokenSource? _stop;
    private Task? _running;

    private SmtpTestServer()
    {
    }

    /// <summary>The loopback port; chosen by the system on the first start and kept across restarts.</summary>
    public int Port { get; private set; }

    public bool IsRunning => _server is not null;

    /// <summary>Starts a server on a port the system picks (no race with other processes for a "free" port).</summary>
    public static async Task<SmtpTestServer> StartAsync()
    {
        var server = new SmtpTestServer();
        await server.ListenAsync(port: 0);
        return server;
    }

    /// <summary>Starts the server again on its port; returns once it accepts connections.</summary>
    public Task StartAgainAsync() => IsRunning ? Task.CompletedTask : ListenAsync(Port);

    /// <summary>Takes the server down: connections to its port are refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        SmtpServerHost? server;
        CancellationTokenSource? stop;
        Task? running;
        lock (_gate)
        {
            (server, stop, running) = (_server, _stop, _running);
            (_server, _stop, _running) = (null, null, null);
        }

        if (server is null || stop is null || running is null)
            return;
        // Graceful first (the listener closes, sessions finish); a session that does not finish in time is cancelled.
        server.Shutdown();
        if (await Task.WhenAny(server.ShutdownTask, Task.Delay(GracefulStop)) != server.ShutdownTask)
            await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    /// <summary>From now on, a message to <paramref name="address"/> is answered with the SMTP reply <paramref name="code"/> (e.g. 550, 451) instead of being accepted.</summary>
    public void Refuse(string address, int code) =>
        _refusals[address] = new SmtpResponse((SmtpReplyCode)code, $"refused by the test server ({code})");

    /// <summary>
    /// From now on the server keeps each message it receives but holds its reply until the returned hold is released: a
    /// test can look at the sender while the message is on the server and the sender has no answer yet.
    /// </summary>
    public ReplyHold HoldReplies()
    {
        var hold = new ReplyHold();
        _hold = hold;
        return hold;
    }

    /// <summary>Replies are no longer held (a held one is answered).</summary>
    public void StopHolding()
    {
        _hold?.Release();
        _hold = null;
    }

    /// <summary>Messages to <paramref name="address"/> are accepted again.</summary>
    public void Accept(string address) => _refusals.TryRemove(address, out _);

    /// <summary>Every message accepted so far, parsed with MimeKit, with its envelope recipients.</summary>
    public IReadOnlyList<(MimeMessage Message, IReadOnlyList<string> Recipients)> Messages() =>
        [.. _received.Select(m => (MimeMessage.Load(new MemoryStream(m.Raw)), (IReadOnlyList<string>)m.Recipients))];

    /// <summary>The messages whose <c>X-Billing-Event-Id</c> is <paramref name="eventId"/>.</summary>
    public IReadOnlyList<MimeMessage> MessagesOf(string eventId) =>
        [.. Messages().Select(m => m.Message).Where(m => m.Headers[Billing.Notifications.OutboxMail.EventIdHeader] == eventId)];

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task ListenAsync(int port)
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .Build();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => listening.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(this));

        var server = new SmtpServerHost(options, services);
        var stop = new CancellationTokenSource();
        var running = server.StartAsync(stop.Token);
        var started = await Task.WhenAny(listening.Task, running, Task.Delay(StartTimeout));
        if (started != listening.Task)
        {
            await stop.CancelAsync();
            var error = running.IsFaulted ? running.Exception.GetBaseException().Message : "it did not start listening in time";
            stop.Dispose();
            throw new InvalidOperationException($"The SMTP test server could not listen on 127.0.0.1:{port}: {error}");
        }

        lock (_gate)
        {
            Port = listening.Task.Result;
            (_server, _stop, _running) = (server, stop, running);
        }
    }

    /// <summary>Keeps each message as the exact bytes received, or answers the refusal set for one of its recipients.</summary>
    private sealed class Store(SmtpTestServer owner) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var recipients = transaction.To.Select(to => to.AsAddress()).ToArray();
            foreach (var recipient in recipients)
            {
                if (owner._refusals.TryGetValue(recipient, out var refusal))
                    return refusal;
            }

            owner._received.Enqueue((buffer.ToArray(), recipients));
            if (owner._hold is { } hold)
            {
                hold.Received.TrySetResult();
                await hold.Released.Task.WaitAsync(cancellationToken);
            }

            return SmtpResponse.Ok;
        }
    }

    /// <summary>A held reply: <see cref="Received"/> completes when a message arrived, <see cref="Release"/> answers it.</summary>
    public sealed class ReplyHold
    {
        public TaskCompletionSource Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => Released.TrySetResult();
    }
}
