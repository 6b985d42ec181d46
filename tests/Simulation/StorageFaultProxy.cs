using System.Net;
using Billing.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Billing.Tests.Simulation;

/// <summary>What the proxy does to one storage request.</summary>
public enum StorageFault
{
    None,

    /// <summary>Answered 503 Server Busy without reaching storage: nothing was written.</summary>
    Fails,

    /// <summary>Held, then the connection is dropped without reaching storage: a timeout, nothing written.</summary>
    TimesOut,

    /// <summary>Forwarded and done by storage, then the connection is dropped: written, but the caller never learns it.</summary>
    ReplyLost,
}

/// <summary>
/// An HTTP proxy in front of Azurite that the silos' <c>Storage:ConnectionString</c> points at. While a fault rate is
/// set, each request to a faultable table draws its fate from the run's seeded generator: forwarded, failed, timed
/// out, or done with its reply lost. The Azure SDK sees what it sees from a real storage account having a bad minute
/// (its retries included), and the product must keep every balance exact through it. The membership table is spared:
/// a cluster that cannot see itself proves nothing about billing.
/// </summary>
public sealed class StorageFaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Host", "Content-Length", "Expect",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _azurite;
    private readonly Uri _target;
    private readonly Lock _gate = new();
    private Random _random = new(0);
    private double _rate;
    private bool _outage;
    private long _forwarded;
    private readonly Dictionary<StorageFault, long> _injected = new() { [StorageFault.Fails] = 0, [StorageFault.TimesOut] = 0, [StorageFault.ReplyLost] = 0 };

    private StorageFaultProxy(WebApplication app, HttpClient azurite, Uri target, int port)
    {
        _app = app;
        _azurite = azurite;
        _target = target;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The connection string the silos are given: Azurite's account, reached through this proxy.</summary>
    public string ConnectionString => AzuriteConnectionString.For(Port);

    public static async Task<StorageFaultProxy> StartAsync(AzuriteFixture azurite)
    {
        var target = new Uri(azurite.ServiceClient.Uri.GetLeftPart(UriPartial.Authority));
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var azuriteClient = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        var proxy = new StorageFaultProxy(app, azuriteClient, target, port);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        return proxy;
    }

    /// <summary>From now on, each faultable request fails with probability <paramref name="rate"/>, drawn from <paramref name="seed"/>.</summary>
    public void Inject(int seed, double rate)
    {
        lock (_gate)
        {
            _random = new Random(seed);
            _rate = rate;
        }
    }

    /// <summary>
    /// An outage from now on: every faultable request is held briefly and its connection dropped, so the SDK's retries all
    /// fail and it gives up (with an <see cref="AggregateException"/> of the attempts), as on a network partition.
    /// </summary>
    public void Outage()
    {
        lock (_gate)
            _outage = true;
    }

    /// <summary>Every request is forwarded untouched from now on.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _rate = 0;
            _outage = false;
        }
    }

    /// <summary>How many faults of each kind were injected since the proxy started, and how many requests went through.</summary>
    public (long Forwarded, long Fails, long TimesOut, long ReplyLost) Counts()
    {
        lock (_gate)
            return (_forwarded, _injected[StorageFault.Fails], _injected[StorageFault.TimesOut], _injected[StorageFault.ReplyLost]);
    }

    private (StorageFault Fault, TimeSpan Hold) Decide(HttpRequest request)
    {
        // Cluster membership is spared (see the class comment); everything else, grain state, reminders and the product's
        // own tables, is fair game.
        if (request.Path.Value?.Contains("OrleansSiloInstances", StringComparison.Ordinal) == true)
            return (StorageFault.None, TimeSpan.Zero);
        lock (_gate)
        {
            _forwarded++;
            if (_outage)
            {
                _injected[StorageFault.TimesOut]++;
                return (StorageFault.TimesOut, TimeSpan.FromMilliseconds(20));
            }

            if (_rate <= 0 || _random.NextDouble() >= _rate)
                return (StorageFault.None, TimeSpan.Zero);
            var fault = _random.Next(3) switch
            {
                0 => StorageFault.Fails,
                1 => StorageFault.TimesOut,
                _ => StorageFault.ReplyLost,
            };
            _injected[fault]++;
            return (fault, TimeSpan.FromMilliseconds(_random.Next(200, 1500)));
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var (fault, hold) = Decide(context.Request);
        switch (fault)
        {
            case StorageFault.Fails:
                context.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                context.Response.Headers["x-ms-error-code"] = "ServerBusy";
                return;
            case StorageFault.TimesOut:
                await Task.Delay(hold);
                context.Abort();
                return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(_target, RawTarget(context)));
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (body.Length > 0 || context.Request.ContentLength == 0)
            forward.Content = new ByteArrayContent(body.ToArray());
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
                continue;
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && forward.Content is not null)
                forward.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }

        using var response = await _azurite.SendAsync(forward, HttpCompletionOption.ResponseContentRead, context.RequestAborted);
        if (fault == StorageFault.ReplyLost)
        {
            // Storage did the work; the caller sees a dropped connection and retries a write that already happened.
            context.Abort();
            return;
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name))
                context.Response.Headers[name] = values.ToArray();
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>The request line's target as sent: the shared-key signature covers its exact escaping, which a decoded path loses.</summary>
    private static string RawTarget(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value + context.Request.QueryString.Value;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _azurite.Dispose();
    }
}
