using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Billing.Api.Portal;

/// <summary>
/// The portal's way to the REST API: the same endpoints owners call with curl, over HTTP, with the signed-in user's
/// bearer token from the portal's session cookie. Authorization and validation therefore live in one place (the
/// endpoints); a page never reaches a grain itself.
/// </summary>
public sealed class PortalApiClient(HttpClient http, IHttpContextAccessor context)
{
    public const string HttpClientName = "portal-api";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public Task<T> Get<T>(string path) => Send<T>(HttpMethod.Get, path, null, null);

    public Task<T> Post<T>(string path, object? body, string? idempotencyKey = null) => Send<T>(HttpMethod.Post, path, body, idempotencyKey);

    public Task<T> Put<T>(string path, object? body) => Send<T>(HttpMethod.Put, path, body, null);

    public async Task Send(HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        using var response = await SendRaw(method, path, body, idempotencyKey, HttpCompletionOption.ResponseContentRead);
        await EnsureSuccess(response);
    }

    /// <summary>A download (CSV, PDF) handed to the browser as it streams; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> Download(string path)
    {
        var response = await SendRaw(HttpMethod.Get, path, null, null, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            await EnsureSuccess(response);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<T> Send<T>(HttpMethod method, string path, object? body, string? idempotencyKey)
    {
        using var response = await SendRaw(method, path, body, idempotencyKey, HttpCompletionOption.ResponseContentRead);
        await EnsureSuccess(response);
        return (await response.Content.ReadFromJsonAsync<T>(Json, Aborted))!;
    }

    private CancellationToken Aborted => context.HttpContext?.RequestAborted ?? CancellationToken.None;

    private async Task<HttpResponseMessage> SendRaw(HttpMethod method, string path, object? body, string? idempotencyKey, HttpCompletionOption completion)
    {
        var httpContext = context.HttpContext ?? throw new InvalidOperationException("The portal calls the API only while serving a request.");
        var token = await httpContext.GetTokenAsync(PortalAuthentication.CookieScheme, PortalAuthentication.AccessToken)
            ?? throw new PortalApiException(HttpStatusCode.Unauthorized, null, "Sign in again.", null);
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body is not null)
            request.Content = JsonContent.Create(body, options: Json);
        return await http.SendAsync(request, completion, Aborted);
    }

    private async Task EnsureSuccess(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
            return;
        string? code = null, message = null;
        Dictionary<string, string[]>? fields = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, Aborted);
            code = problem.TryGetProperty("code", out var c) ? c.GetString() : null;
            message = problem.TryGetProperty("detail", out var d) ? d.GetString() : problem.TryGetProperty("title", out var t) ? t.GetString() : null;
            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                fields = errors.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Array
                    ? p.Value.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
                    : [p.Value.ToString()]);
        }
        catch (JsonException)
        {
            // Not a problem detail (a proxy's page): the status says enough.
        }
        message ??= response.StatusCode switch
        {
            HttpStatusCode.NotFound => "Not found.",
            HttpStatusCode.Forbidden => "Your role in this workspace does not allow this.",
            HttpStatusCode.TooManyRequests => "Too many requests; try again in a minute.",
            _ => $"The request failed ({(int)response.StatusCode}).",
        };
        if (fields is { Count: > 0 } && response.StatusCode == HttpStatusCode.BadRequest)
            message = string.Join(" ", fields.Values.SelectMany(v => v));
        throw new PortalApiException(response.StatusCode, code, message, fields);
    }

    /// <summary>
    /// The API's address as seen from inside the process: <see cref="PortalOptions.ApiBaseUrl"/>, else the first
    /// address Kestrel listens on, with a wildcard host read as loopback.
    /// </summary>
    public static Uri ResolveBaseAddress(IServer server, IOptions<PortalOptions> options)
    {
        if (options.Value.ApiBaseUrl is { Length: > 0 } configured)
            return new Uri(configured.TrimEnd('/') + "/");
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no listening address; set Portal:ApiBaseUrl.");
        var uri = new UriBuilder(address.Replace("://+", "://localhost").Replace("://*", "://localhost").Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://127.0.0.1"));
        return new Uri(uri.Uri.GetLeftPart(UriPartial.Authority) + "/");
    }
}
