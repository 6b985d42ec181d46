using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Billing.Tests.Telemetry;

/// <summary>
/// An OTLP/HTTP collector in the test process: Kestrel on a free loopback port, accepting the protobuf payloads an
/// OpenTelemetry exporter posts to <c>/v1/metrics</c>, <c>/v1/traces</c> and <c>/v1/logs</c>. Metric names travel as
/// plain UTF-8 strings in the protobuf, so a test finds a metric by its name's bytes without decoding the message.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _metrics = new();
    private readonly List<(string Name, TaskCompletionSource Seen)> _awaited = [];
    private readonly Lock _gate = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public int MetricPayloads => _metrics.Count;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Received(body.ToArray());
            return Results.Ok();
        });
        app.MapPost("/v1/traces", () => Results.Ok());
        app.MapPost("/v1/logs", () => Results.Ok());
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return receiver;
    }

    /// <summary>Completes once a metrics payload naming <paramref name="metricName"/> has arrived (or has already).</summary>
    public Task MetricArrived(string metricName)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_metrics.Any(p => Contains(p, metricName)))
                return Task.CompletedTask;
            _awaited.Add((metricName, seen));
        }

        return seen.Task;
    }

    /// <summary>Every distinct metric name with the given prefix seen so far (a scan of the payloads' strings).</summary>
    public IReadOnlySet<string> MetricNamesStartingWith(string prefix)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pattern = Encoding.UTF8.GetBytes(prefix);
        foreach (var payload in _metrics)
        {
            for (var i = payload.AsSpan().IndexOf(pattern); i >= 0;)
            {
                var end = i;
                while (end < payload.Length && (char.IsAsciiLetterOrDigit((char)payload[end]) || payload[end] is (byte)'.' or (byte)'_' or (byte)'-'))
                    end++;
                names.Add(Encoding.UTF8.GetString(payload, i, end - i));
                var next = payload.AsSpan(end).IndexOf(pattern);
                i = next < 0 ? -1 : end + next;
            }
        }

        return names;
    }

    private void Received(byte[] payload)
    {
        lock (_gate)
        {
            _metrics.Enqueue(payload);
            foreach (var awaited in _awaited.Where(a => Contains(payload, a.Name)).ToList())
            {
                awaited.Seen.TrySetResult();
                _awaited.Remove(awaited);
            }
        }
    }

    private static bool Contains(byte[] payload, string name) => payload.AsSpan().IndexOf(Encoding.UTF8.GetBytes(name)) >= 0;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
