/** Environment variable through which the supervisor tells a guarded child which pid is its parent. */
export const PARENT_PID_ENV = 'HALYARD_PARENT_PID';
