interface Env { GREETING: string }

export default {
  fetch(request: Request, env: Env): Response {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? 'world';
    return new Response(`${env.GREETING}, ${name}!\n`, { headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  },
};
