using Billing.Benchmark;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddBenchmarkClient(args);

using var host = builder.Build();
await host.StartAsync();
var exitCode = await host.Services.GetRequiredService<BenchmarkRun>().RunAsync();
await host.StopAsync();
return exitCode;
