/** Environment variable that carries the bearer token to the controller replicas (not on their command line). */
export const API_TOKEN_ENV = 'HALYARD_API_TOKEN';
